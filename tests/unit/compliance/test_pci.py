"""PCI: card spans from word timings, silence in real mu-law audio, last four in text, tokens for the LLM."""

from __future__ import annotations

import numpy as np
import pytest

from fakes.audio import SAMPLE_RATE, mulaw_decode, mulaw_encode, rms, speech_like_mulaw, voice_like
from switchboard.pci import (
    CardCapture,
    Span,
    Word,
    card_token,
    find_pci_spans,
    mask_card_text,
    mask_pcm,
    sample_ranges,
    tokenize_cards,
)
from switchboard.redaction import redact

KEY = bytes(range(32))


def timed(text: str, start: float, step: float = 0.4, length: float = 0.3) -> list[Word]:
    """Words of *text*, one every *step* seconds from *start*."""
    moments = [round(start + i * step, 3) for i in range(len(text.split()))]
    return [Word(w, at, round(at + length, 3)) for w, at in zip(text.split(), moments, strict=True)]


SPOKEN_CARD = "four one one one one one one one one one one one one one one one"


def test_a_spoken_card_number_is_one_span_from_its_first_to_its_last_digit_word() -> None:
    # given "my card number is <16 spoken digits> thank you" with known timings
    intro = timed("my card number is", 0.0)
    digits = timed(SPOKEN_CARD, 2.0)
    outro = timed("thank you", 9.0)
    # when spans are found (no padding, to see the exact edges)
    spans = find_pci_spans(intro + digits + outro, pad_s=0.0)
    # then there is one span covering exactly the digit words
    assert spans == [Span(digits[0].start, digits[-1].end)]


def test_numerals_in_groups_across_finals_with_fillers_make_one_card_span() -> None:
    words = timed("it's 4111, 1111,", 0.0) + timed("uh 1111 1111.", 2.5)
    spans = find_pci_spans(words, pad_s=0.1)
    assert spans == [Span(words[1].start - 0.1, words[-1].end + 0.1)]


def test_short_digit_runs_outside_payment_are_left_alone() -> None:
    words = timed("I have 2 dogs and my zip is 9 4 1 0 7", 0.0)
    assert find_pci_spans(words) == []


def test_a_security_code_after_its_cue_is_masked_even_outside_payment() -> None:
    words = timed("and the CVV is seven three seven", 0.0)
    spans = find_pci_spans(words, pad_s=0.0)
    assert spans == [Span(words[4].start, words[6].end)]


def test_during_the_collecting_payment_state_every_run_of_three_or_more_digits_is_masked() -> None:
    expiry = timed("expires oh four two seven", 10.0)
    code = timed("and it's one two three", 13.0)
    # outside the payment window nothing is masked; inside it both runs are
    assert find_pci_spans(expiry + code) == []
    spans = find_pci_spans(expiry + code, payment_windows=[(9.5, 16.0)], pad_s=0.0)
    assert spans == [Span(expiry[1].start, expiry[-1].end), Span(code[2].start, code[-1].end)]


def test_digits_too_far_apart_are_separate_runs() -> None:
    words = timed("4111 1111", 0.0) + timed("1111 1111", 10.0)
    assert find_pci_spans(words, max_gap_s=3.0) == []


def test_spans_are_padded_clipped_at_zero_and_merged() -> None:
    # card digits end at 1.55 s; the code is said at 2.0-2.3 s; 0.3 s of padding makes them touch
    words = timed("4111 1111 1111 1111", 0.05) + timed("cvc 123", 1.6)
    spans = find_pci_spans(words, pad_s=0.3)
    assert spans == [Span(0.0, pytest.approx(words[-1].end + 0.3))]


def test_masking_real_speech_audio_leaves_digital_silence_exactly_on_the_span_and_the_rest_byte_identical() -> None:
    # given an 11 s speech-like mu-law recording of a caller reading a card at known word timings
    recording = speech_like_mulaw(11.0, seed=7)
    words = timed("my card number is", 0.2) + timed(SPOKEN_CARD, 2.0) + timed("thank you", 9.5)
    spans = find_pci_spans(words)
    ((first, last),) = sample_ranges(spans, SAMPLE_RATE, frames=len(recording))
    assert rms(recording[first:last]) > 1000  # there was speech to hide
    # when the stored recording is masked
    masked = mask_pcm(recording, spans, SAMPLE_RATE)
    # then the span is digital silence, sample for sample
    assert masked[first:last] == b"\xff" * (last - first)
    assert not mulaw_decode(masked[first:last]).any()
    # and it covers every digit word, none of the other words
    assert first <= round(words[4].start * SAMPLE_RATE) and last >= round(words[19].end * SAMPLE_RATE)
    assert last < round(words[20].start * SAMPLE_RATE) and first > round(words[3].end * SAMPLE_RATE)
    # and every other byte is unchanged
    assert masked[:first] == recording[:first]
    assert masked[last:] == recording[last:]
    assert len(masked) == len(recording)


def test_masking_linear16_stereo_silences_both_channels_only_on_the_span() -> None:
    left = voice_like(2.0)
    right = voice_like(2.0, amplitude=4000.0)
    interleaved = np.stack([left, right], axis=1).astype(np.int16).tobytes()
    masked = mask_pcm(interleaved, [Span(0.5, 1.0)], SAMPLE_RATE, encoding="linear16", channels=2)
    samples = np.frombuffer(masked, dtype=np.int16).reshape(-1, 2)
    original = np.frombuffer(interleaved, dtype=np.int16).reshape(-1, 2)
    assert not samples[4000:8000].any()
    assert (samples[:4000] == original[:4000]).all() and (samples[8000:] == original[8000:]).all()
    assert original[4000:8000].any()


def test_mask_pcm_honours_the_recordings_offset_and_rejects_partial_frames() -> None:
    audio = mulaw_encode(voice_like(1.0))
    masked = mask_pcm(audio, [Span(10.25, 10.5)], SAMPLE_RATE, offset_s=10.0)
    assert masked[2000:4000] == b"\xff" * 2000 and masked[:2000] == audio[:2000] and masked[4000:] == audio[4000:]
    with pytest.raises(ValueError, match="whole number"):
        mask_pcm(b"\x00\x01\x02", [], SAMPLE_RATE, encoding="linear16")


@pytest.mark.parametrize(
    ("text", "paying", "expected"),
    [
        ("my card is 4111 1111 1111 1111 thanks", False, "my card is [CARD ending 1111] thanks"),
        (f"it's {SPOKEN_CARD}.", False, "it's [CARD ending 1111]."),
        ("the security code is 737", False, "the security code is [SECURITY CODE]"),
        ("expires oh four two seven", True, "expires [CARD DETAIL]"),
        ("expires oh four two seven", False, "expires oh four two seven"),
        ("I'd like to pay for two tickets", True, "I'd like to pay for two tickets"),
    ],
)
def test_transcript_text_keeps_only_the_last_four_digits(text: str, paying: bool, expected: str) -> None:
    assert mask_card_text(text, collecting_payment=paying) == expected


def test_the_masked_transcript_survives_pii_redaction_unchanged() -> None:
    masked = mask_card_text("card 4111 1111 1111 1111")
    assert redact(masked, "placeholder") == masked == "card [CARD ending 1111]"


def test_the_llm_gets_a_token_not_the_number_and_the_same_card_gets_the_same_token() -> None:
    # given a card read as numerals in one turn and as words in another
    first, captures = tokenize_cards("card 4111 1111 1111 1111, code 737 is the CVC", KEY)
    second, again = tokenize_cards(f"again {SPOKEN_CARD}", KEY)
    # then the LLM text has tokens only
    assert "4111" not in first and "1111" not in first and "737" not in second
    token = card_token("4111111111111111", KEY)
    assert first.startswith(f"card {token}")
    assert second == f"again {token}"
    assert [c.kind for c in captures] == ["card"]
    assert again[0] == captures[0]
    # and the capture keeps the digits for the payment tool, but never shows them
    assert captures[0].digits == "4111111111111111" and captures[0].last4 == "1111"
    assert "4111111111111111" not in repr(captures[0])


def test_security_codes_get_their_own_token() -> None:
    text, captures = tokenize_cards("the CVV is 737", KEY)
    assert text == f"the CVV is {card_token('737', KEY, 'security_code')}"
    assert captures == [CardCapture(kind="security_code", token=text.split()[-1], last4="737", digits="737")]


def test_tokens_differ_per_call_key_and_short_keys_are_refused() -> None:
    assert card_token("4111111111111111", KEY) != card_token("4111111111111111", bytes(32))
    with pytest.raises(ValueError, match="16 bytes"):
        card_token("4111111111111111", b"short")


def test_up_to_three_fillers_in_a_row_keep_a_run_open() -> None:
    assert mask_card_text("4111 1111 uh um er 1111 1111") == "[CARD ending 1111]"
    assert mask_card_text("4111 1111 uh um er ah 1111 1111") == "4111 1111 uh um er ah 1111 1111"
