"""PCI per call: the core sees tokens, the stored transcript the last four, the recording waits for finals."""

from __future__ import annotations

from media_worker.core import TranscriptUpdated, Word
from media_worker.runtime.pci_guard import PAD_S, SLACK_S, PciGuard, mask_dtmf, mask_dtmf_text
from switchboard.models import Turn

KEY = b"k" * 32


def result(*words: tuple[str, float, float], final: bool = True) -> TranscriptUpdated:
    return TranscriptUpdated(now_ms=0.0, text=" ".join(w[0] for w in words), is_final=final, speech_final=final,
                             words=tuple(Word(*w) for w in words))  # fmt: skip


def spoken(text: str, start: float, step: float = 0.3) -> list[tuple[str, float, float]]:
    return [(w, start + i * step, start + (i + 1) * step) for i, w in enumerate(text.split())]


def test_the_core_gets_a_card_token_and_words_that_match_the_text() -> None:
    guard = PciGuard(key=KEY)
    event = guard.for_core(result(*spoken("it is 4111 1111 1111 1111 thanks", 1.0)))
    assert "4111" not in event.text and "card_tok_" in event.text
    assert " ".join(w.text for w in event.words) == event.text
    token = next(w for w in event.words if w.text.startswith("card_tok_"))
    assert (token.start_s, token.end_s) == (1.6, 2.8)  # spans the four groups it replaced
    assert event.text.startswith("it is ") and event.text.endswith(" thanks")


def test_a_result_without_card_details_passes_unchanged() -> None:
    guard = PciGuard(key=KEY)
    original = result(*spoken("table for 2 at 7", 0.0))
    assert guard.for_core(original) is original


def test_the_stored_transcript_keeps_only_the_last_four() -> None:
    guard = PciGuard(key=KEY)
    core_text = guard.for_core(result(*spoken("4111 1111 1111 1111", 1.0))).text
    turn = Turn(role="caller", text=f"my card is {core_text}", start_ms=0, end_ms=1)
    (stored,) = guard.stored_turns([turn])
    assert stored.text == "my card is [CARD ending 1111]"


def test_a_card_split_across_finals_is_masked_in_the_stored_turn() -> None:
    guard = PciGuard(key=KEY)
    first = guard.for_core(result(*spoken("4111 1111", 1.0))).text
    second = guard.for_core(result(*spoken("1111 1111", 3.0))).text
    assert guard.stored_text(f"{first} {second}") == "[CARD ending 1111]"
    assert [round(s.start, 2) for s in guard.spans(0.0, 10.0)] == [round(1.0 - PAD_S, 2)]


def test_a_payment_cue_from_the_assistant_masks_short_digit_runs() -> None:
    # given the assistant asked for the expiry date
    guard = PciGuard(key=KEY, agent_text=lambda: "What is the expiry date on the card?")
    # when the caller answers with four digits
    event = guard.for_core(result(*spoken("oh four two seven", 5.0)))
    # then they are a payment detail: tokenized for the core, a span for the recording
    assert event.text.startswith("pay_tok_")
    assert len(guard.spans(0.0, 10.0)) == 1


def test_the_recording_may_not_pass_an_open_digit_run() -> None:
    guard = PciGuard(key=KEY)
    guard.for_core(result(*spoken("my number is 4111 1111", 1.0)))
    guard.covered(3.0)
    # the run starting at 1.9 s could continue in the next final
    assert guard.safe_until_s() == 1.9 - PAD_S - SLACK_S
    # once finals cover more than the gap after its last digit, the run is closed
    guard.covered(7.0)
    assert guard.safe_until_s() == 7.0 - PAD_S - SLACK_S


def test_finals_cover_the_audio_the_recording_may_store() -> None:
    guard = PciGuard(key=KEY)
    assert guard.safe_until_s() < 0
    guard.covered(12.0)
    assert guard.safe_until_s() == 12.0 - PAD_S - SLACK_S


def test_dtmf_digits_are_stored_as_stars() -> None:
    assert mask_dtmf(("1", "2", "#")) == ("*", "*", "*")
    assert mask_dtmf_text("pay now [DTMF] 4 1 1 #") == "pay now [DTMF] * * * *"
