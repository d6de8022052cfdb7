"""Provider errors, bad tokens, malformed frames and a dropped caller: handled, and the call still ends well."""

from __future__ import annotations

import time

import pytest
from websockets.asyncio.client import connect

from fakes import ErrorReply, TextReply
from fakes.audio import speech_like_mulaw
from media_worker.core import Phrases
from switchboard.caller import SimulatedCaller
from switchboard.caller.caller import now_ms
from switchboard.stream_token import issue_stream_token

from .harness import SECRET, TENANT, WorkerStack

APOLOGY = Phrases().apology
GARBAGE = (
    "not json",
    "[1, 2]",
    '{"event": "media"}',
    '{"event": "wobble", "streamSid": "x"}',
    '{"event":"media","streamSid":"x","sequenceNumber":"99999","media":{"payload":"@@@"}}',
    "x" * 70_000,
)


async def test_an_llm_error_is_answered_with_a_spoken_apology(stack: WorkerStack) -> None:
    # given the LLM fails every attempt with HTTP 500
    stack.deepgram.script = ["What time do you open?"]
    stack.openai.push(ErrorReply(500), ErrorReply(500))
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(400)
        # then the caller hears the apology instead of dead air
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=500)
        await caller.wait_for_mark("@end", count=2)

    assert any(c.transcript.strip() == APOLOGY for c in stack.cartesia.contexts)
    ended = await stack.call_ended(call.call_id)
    assert ended.transcript[-1].role == "assistant" and ended.transcript[-1].text == APOLOGY


async def test_a_tts_error_plays_the_pre_rendered_apology_clip(stack: WorkerStack) -> None:
    # given a call whose greeting played and whose apology clip was pre-rendered
    stack.deepgram.script = ["What time do you open?"]
    stack.openai.push(TextReply("We open at nine."))
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        await stack.cartesia.wait_for(
            lambda: any(c.done_sent and c.transcript == APOLOGY for c in stack.cartesia.contexts)
        )
        # when the TTS fails the reply
        stack.cartesia.faults.error_next_context = "synthesis failed"
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(400)
        # then the caller still hears speech: the cached clip, played to its end mark
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=500)
        await caller.wait_for_mark("@end", count=2)
        heard_ms = caller.voiced_ms(asked_at)

    # the reply's context errored, and what played is the spoken apology (~2.6 s), not the 0.6 s chime
    assert len([c for c in stack.cartesia.contexts if c.errored]) == 1
    assert heard_ms >= 2000
    assert len(stack.openai.requests) == 1


@pytest.mark.parametrize("kind", ["missing", "forged", "expired", "malformed"])
async def test_a_bad_token_closes_the_stream_with_4401_and_opens_no_provider(stack: WorkerStack, kind: str) -> None:
    call = await stack.place_call()
    an_hour_ago = time.time() - 3600
    expired = issue_stream_token(
        SECRET, tenant_id=TENANT, call_id=call.call_id, assistant_id="as_media", now=an_hour_ago
    )
    tokens = {
        "missing": None,
        "forged": call.token[:-4] + ("AAAA" if not call.token.endswith("AAAA") else "BBBB"),
        "expired": expired,
        "malformed": "not-a-token",
    }
    caller = SimulatedCaller(f"{stack.url}/twilio", token=tokens[kind])
    await caller.connect()
    await caller.wait_closed()

    assert caller.record.close_code == 4401
    assert kind in caller.record.close_reason
    assert stack.deepgram.sessions == [] and stack.cartesia.connections == [] and stack.openai.requests == []


async def test_a_reused_token_is_refused(stack: WorkerStack) -> None:
    call = await stack.place_call()
    async with stack.caller(call) as first:
        await first.wait_for_reply_audio()
    sessions = len(stack.deepgram.sessions)

    second = stack.caller(call)
    await second.connect()
    await second.wait_closed()

    assert second.record.close_code == 4401 and "reused" in second.record.close_reason
    assert len(stack.deepgram.sessions) == sessions


async def test_malformed_frames_unknown_events_and_gaps_are_survived(stack: WorkerStack) -> None:
    stack.deepgram.script = ["Are you still there?"]
    stack.openai.push(TextReply("Yes, I am here."))
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        # when garbage arrives mid-call
        for frame in GARBAGE:
            await caller.send_raw(frame)
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(400)
        # then the call goes on: the turn is answered
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=300)

    assert stack.openai.last_request.messages[-1]["content"] == "Are you still there?"
    assert (await stack.call_ended(call.call_id)).end_reason == "caller_hung_up"


async def test_a_dropped_connection_still_ends_the_call_with_call_ended(stack: WorkerStack) -> None:
    call = await stack.place_call()
    caller = stack.caller(call)
    await caller.connect()
    await caller.wait_for_reply_audio()
    # when the network drops mid-greeting (no stop, no close frame)
    await caller.drop()

    ended = await stack.call_ended(call.call_id)
    assert ended.end_reason == "caller_hung_up"
    assert ended.transcript and ended.transcript[0].role == "assistant"
    assert await stack.call_status(call.call_id) == "completed"
    assert stack.deepgram.sessions[0].closed


async def test_unknown_paths_are_404_and_health_is_200(stack: WorkerStack) -> None:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as missing:
        await connect(f"{stack.url}/nowhere")
    with pytest.raises(InvalidStatus) as health:
        await connect(f"{stack.url}/healthz")
    assert missing.value.response.status_code == 404
    assert health.value.response.status_code == 200


async def test_an_stt_drop_mid_utterance_reconnects_and_replays_so_no_words_are_lost(stack: WorkerStack) -> None:
    # given the STT connection will be cut as soon as the caller starts speaking
    stack.deepgram.script = ["I want to change my booking."]
    stack.openai.push(TextReply("Sure, what is the booking reference?"))
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        stack.deepgram.faults.drop_at_next_utterance = True
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(1.2))
        await caller.silence(500)
        # then a new stream heard the whole utterance (replayed) and the turn was answered
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=300)

    assert len(stack.deepgram.sessions) == 2 and stack.deepgram.sessions[0].dropped
    assert stack.openai.last_request.messages[-1] == {"role": "user", "content": "I want to change my booking."}
