"""Which public URLs a carrier may have signed."""

from __future__ import annotations

from switchboard.telephony.public_urls import candidate_urls, split_bases


def test_bases_come_from_comma_lists_without_trailing_slashes_or_repeats() -> None:
    bases = split_bases("https://a.example.com/", " https://b.example.com , https://a.example.com,,")

    assert bases == ("https://a.example.com", "https://b.example.com")


def test_candidates_join_each_base_with_the_route_and_the_raw_query() -> None:
    urls = candidate_urls(
        ("https://a.example.com", "https://b.example.com/prod"), route_path="/twilio/voice", raw_query="x=1&y=2"
    )

    assert urls == ("https://a.example.com/twilio/voice?x=1&y=2", "https://b.example.com/prod/twilio/voice?x=1&y=2")


def test_the_host_the_request_arrived_on_is_a_candidate_with_its_raw_path() -> None:
    urls = candidate_urls(
        ("https://a.example.com",), route_path="/twilio/voice", host="fallback.example.org", raw_path="/v2/twilio/voice"
    )

    assert urls[-1] == "https://fallback.example.org/v2/twilio/voice"


def test_a_host_matching_a_base_is_not_repeated() -> None:
    urls = candidate_urls(("https://a.example.com",), route_path="/twilio/voice", host="a.example.com")

    assert urls == ("https://a.example.com/twilio/voice",)
