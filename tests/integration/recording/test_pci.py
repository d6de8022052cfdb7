"""PCI on real audio: a caller reads a card; the stored recording is silent exactly there, nothing else changes."""

from __future__ import annotations

import io
import json
import math

import numpy as np

from fakes import TextReply
from fakes.audio import ULAW_TO_LINEAR, mulaw_encode, speech_like_mulaw
from media_worker.runtime.pci_guard import PAD_S
from switchboard.gdpr import recording_key, transcript_key
from switchboard.models import Compliance
from tests.integration.media_worker.harness import TENANT, assistant

from .conftest import MakeStack, parse_wav, wait_for_object, wait_until_idle

CARD = "4111 1111 1111 1111"


def background(seconds: float, seed: int) -> bytes:
    """Quiet line noise (well under any VAD threshold), so that untouched audio is never all zeros."""
    return mulaw_encode(np.random.default_rng(seed).standard_normal(round(seconds * 8000)) * 40.0)


def offset_of(channel: np.ndarray, expected: np.ndarray) -> int:
    """Where *expected* starts in *channel* (exact match of its first 400 samples, found once)."""
    haystack, needle = channel.astype("<i2").tobytes(), expected[:400].astype("<i2").tobytes()
    hits, at = [], haystack.find(needle)
    while at >= 0:
        if at % 2 == 0:
            hits.append(at // 2)
        at = haystack.find(needle, at + 1)
    assert len(hits) == 1, f"expected audio found {len(hits)} times"
    return hits[0]


async def test_a_card_read_aloud_is_digital_silence_in_the_recording_and_a_token_for_the_llm(
    make_stack: MakeStack, worker_logs: io.StringIO
) -> None:
    # given an assistant with PCI masking, an STT that hears the card number and then a short answer
    stack = await make_stack()
    await stack.add_assistant(assistant("as_pay").model_copy(update={"compliance": Compliance(pci_masking=True)}))
    stack.deepgram.script = [CARD, "That is all."]
    stack.openai.push(TextReply("Thank you."))
    stack.openai.push(TextReply("Goodbye."))
    call = await stack.place_call(assistant_id="as_pay")
    digits, answer = speech_like_mulaw(2.0, seed=11), speech_like_mulaw(1.0, seed=12)
    audio = background(1.0, 1) + digits + background(3.0, 2) + answer + background(3.0, 3)
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        # when the caller reads the card, waits for the reply, answers and hangs up
        await caller.speak(audio)
    ended = await stack.call_ended(call.call_id)
    await wait_until_idle(stack)

    # then the recording has digital silence exactly over the card's words (padded), in both channels
    finals = [m for m in stack.deepgram.last_session.sent_of("Results") if m["is_final"]]
    card_words = next(m for m in finals if m["channel"]["alternatives"][0]["transcript"] == CARD)
    words = card_words["channel"]["alternatives"][0]["words"]
    first = math.floor((words[0]["start"] - PAD_S) * 8000)
    last = math.ceil((words[-1]["end"] + PAD_S) * 8000)
    recording = parse_wav(await wait_for_object(stack.aws.bucket, recording_key(TENANT, call.call_id)))
    assert not recording.caller[first:last].any() and not recording.agent[first:last].any()
    # and every other caller sample is exactly what the caller sent
    sent = ULAW_TO_LINEAR[np.frombuffer(audio, dtype=np.uint8)]
    start = offset_of(recording.caller, sent)
    stored = recording.caller[start : start + len(sent)].copy()
    masked = slice(first - start, last - start)
    assert len(stored) == len(sent)
    # (the span is the spoken digits, 1.0 s to 3.0 s into the caller's audio, padded; the VAD works in 20 ms frames)
    assert abs(masked.start - (1.0 - PAD_S) * 8000) <= 160 and abs(masked.stop - (3.0 + PAD_S) * 8000) <= 160
    edges = slice(masked.start - 1, masked.stop + 1)  # span edges round outwards to whole samples (float times)
    stored[edges] = sent[edges]
    assert np.array_equal(stored, sent)
    assert voiced_ms(recording.caller[:first]) == 0 and voiced_ms(recording.caller[last:]) >= 980  # the answer

    # the LLM got a card token, never the digits
    bodies = json.dumps([request.messages for request in stack.openai.requests])
    assert "card_tok_" in bodies and "4111" not in bodies and "1111" not in bodies
    # the stored transcript and call.ended keep only the last four
    caller_turns = [t.text for t in ended.transcript if t.role == "caller"]
    assert caller_turns == ["[CARD ending 1111]", "That is all."]
    document = (await wait_for_object(stack.aws.bucket, transcript_key(TENANT, call.call_id))).decode()
    assert "[CARD ending 1111]" in document and "4111" not in document and "card_tok_" not in document
    # and no log line holds the digits (the worker's own JSON logging, with its redaction filter)
    logs = worker_logs.getvalue()
    assert call.call_id in logs and '"msg":"pci masking"' in logs
    assert "4111" not in logs and "1111 1111" not in logs


def voiced_ms(channel: np.ndarray) -> int:
    whole = len(channel) // 160 * 160
    frames = channel[:whole].astype(np.float64).reshape(-1, 160)
    return int(np.count_nonzero(np.sqrt(np.mean(frames * frames, axis=1)) > 500.0)) * 20


async def test_keypad_digits_are_stored_as_stars_with_pci_masking(
    make_stack: MakeStack, worker_logs: io.StringIO
) -> None:
    # given an assistant with PCI masking
    stack = await make_stack()
    await stack.add_assistant(assistant("as_pay").model_copy(update={"compliance": Compliance(pci_masking=True)}))
    stack.openai.push(TextReply("Thanks."))
    call = await stack.place_call(assistant_id="as_pay")
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        # when the caller types digits on the keypad and the turn reaches the LLM
        await caller.press("7305")
        await stack.openai.wait_for(lambda: len(stack.openai.requests) >= 1, within_s=10)
    ended = await stack.call_ended(call.call_id)
    await wait_until_idle(stack)

    # then call.ended and the stored transcript hold one star per key, never the digits
    assert ended.dtmf == ("*", "*", "*", "*")
    assert [t.text for t in ended.transcript if t.role == "caller"] == ["[DTMF] * * * *"]
    document = json.loads(await wait_for_object(stack.aws.bucket, transcript_key(TENANT, call.call_id)))
    assert document["dtmf"] == ["*"] * 4 and "7 3 0 5" not in json.dumps(document)
    assert "7 3 0 5" not in worker_logs.getvalue() and "7305" not in worker_logs.getvalue()


async def test_speech_no_final_covers_when_the_caller_hangs_up_is_not_stored(make_stack: MakeStack) -> None:
    # given an assistant with PCI masking
    stack = await make_stack()
    await stack.add_assistant(assistant("as_pay").model_copy(update={"compliance": Compliance(pci_masking=True)}))
    stack.deepgram.script = [CARD]
    call = await stack.place_call(assistant_id="as_pay")
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        # when the caller hangs up in the middle of reading (no final result ever covers that speech)
        await caller.speak(background(0.5, 4) + speech_like_mulaw(1.5, seed=13))
    ended = await stack.call_ended(call.call_id)
    await wait_until_idle(stack)

    # then the recording exists but holds none of that speech (it cannot be checked for card digits)
    assert ended.recording_key == recording_key(TENANT, call.call_id)
    recording = parse_wav(await wait_for_object(stack.aws.bucket, recording_key(TENANT, call.call_id)))
    assert voiced_ms(recording.caller) == 0
    assert voiced_ms(recording.agent) >= 200  # the greeting is still there
