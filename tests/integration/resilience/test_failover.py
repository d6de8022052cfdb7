"""Fault injection on the wire-level fakes: each layer fails over mid-call and the caller loses nothing."""

from __future__ import annotations

import pytest

from fakes import ErrorReply, StallReply, TextReply
from fakes.audio import rms, speech_like_mulaw
from fakes.openai import SpeechReply
from media_worker.providers import NO_RETRY, openai_client
from media_worker.providers.openai_tts import OpenAITextToSpeech
from switchboard.caller.caller import now_ms
from switchboard.errors import ProviderError
from switchboard.models import TtsSettings, Voice

from .conftest import SECONDARY_REPLY, ResilientStack, resilient_assistant

QUESTION = "I want to change my booking."
OPENAI_VOICE = TtsSettings(provider="openai_tts", model="gpt-4o-mini-tts", voice=Voice(id="alloy"))


async def test_primary_stt_refusing_reconnects_hands_over_to_the_secondary_with_no_words_lost(
    resilient: ResilientStack,
) -> None:
    # given an assistant with a secondary Deepgram endpoint, and a primary that drops mid-utterance
    # and then refuses every reconnect
    stack = resilient.stack
    await resilient.add(resilient_assistant("as_stt", stt=({"model": "nova-3"},), stt_reconnect_attempts=2,
                                            reconnect_backoff={"base_ms": 0, "max_ms": 0}))  # fmt: skip
    stack.deepgram.script = [QUESTION]
    resilient.deepgram_secondary.script = [QUESTION]
    stack.openai.push(TextReply("Sure, what is the booking reference?"))
    call = await stack.place_call(assistant_id="as_stt")
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        stack.deepgram.faults.drop_at_next_utterance = True
        stack.deepgram.faults.reject_status = 503
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(1.2))
        await caller.silence(500)
        # then the secondary heard the whole utterance (replayed) and the turn was answered
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=300)

    assert stack.deepgram.sessions[0].dropped and len(stack.deepgram.sessions) == 1
    assert stack.deepgram.rejected  # the primary refused the reconnects
    assert len(resilient.deepgram_secondary.sessions) == 1
    assert resilient.deepgram_secondary.sessions[0].audio_bytes >= 8000  # the replayed utterance, at least 1 s
    assert stack.openai.last_request.messages[-1] == {"role": "user", "content": QUESTION}
    ended = await stack.call_ended(call.call_id)
    assert [t.text for t in ended.transcript if t.role == "caller"] == [QUESTION]


async def test_a_tts_error_mid_call_moves_the_call_to_the_secondary_voice(resilient: ResilientStack) -> None:
    # given an assistant with OpenAI TTS as its secondary voice, its greeting played on Cartesia
    stack = resilient.stack
    await resilient.add(resilient_assistant("as_tts", tts_secondary=OPENAI_VOICE))
    stack.deepgram.script = ["What time do you open?", "And on Sundays?"]
    stack.openai.push(TextReply("We open at nine. We close at five."), TextReply("Sundays we are closed."))
    call = await stack.place_call(assistant_id="as_tts")
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        await stack.cartesia.wait_for(lambda: any(c.done_sent and c.context_id == "apology-prerender"
                                                  for c in stack.cartesia.contexts))  # fmt: skip
        # when Cartesia fails the reply
        stack.cartesia.faults.error_next_context = "synthesis failed"
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(400)
        # then the caller hears the reply, in the secondary voice, instead of silence
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=1000)
        await caller.wait_for_mark("@end", count=2)
        # and the next turn is spoken by the secondary too
        second_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0, seed=2))
        await caller.silence(400)
        await caller.wait_for_reply_audio(since_ms=second_at, min_ms=500)
        await caller.wait_for_mark("@end", count=3)

    spoken = [r.input for r in stack.openai.speech_requests]
    assert spoken == ["We open at nine. ", "We close at five.", "Sundays we are closed."]
    assert all(r.completed and r.voice == "alloy" for r in stack.openai.speech_requests)
    assert [c.errored for c in stack.cartesia.contexts if c.context_id not in ("apology-prerender",)][-1]
    assert not any("Sundays" in c.transcript for c in stack.cartesia.contexts)
    ended = await stack.call_ended(call.call_id)
    assert [t.text for t in ended.transcript if t.role == "assistant"][-2:] == [
        "We open at nine. We close at five.", "Sundays we are closed."]  # fmt: skip


async def test_a_stalled_llm_is_cancelled_and_the_secondary_answers(resilient: ResilientStack) -> None:
    # given an assistant with a secondary LLM endpoint and a short first-token deadline
    stack = resilient.stack
    await resilient.add(resilient_assistant("as_llm", llm_secondary={"model": "backup-model"},
                                            first_token_deadline_ms=300))  # fmt: skip
    stack.deepgram.script = ["Are you there?"]
    stack.openai.push(StallReply())
    call = await stack.place_call(assistant_id="as_llm")
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(400)
        # then the reply comes from the secondary
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=300)
        await caller.wait_for_mark("@end", count=2)

    # and the stalled primary request was cancelled
    await stack.openai.wait_for(lambda: stack.openai.last_request.cancelled)
    assert not stack.openai.last_request.completed
    secondary = resilient.openai_secondary.last_request
    assert secondary.model == "backup-model" and secondary.messages[-1]["content"] == "Are you there?"
    assert any(c.transcript == SECONDARY_REPLY for c in stack.cartesia.contexts)


async def test_an_llm_error_is_retried_once_on_the_secondary(resilient: ResilientStack) -> None:
    stack = resilient.stack
    await resilient.add(resilient_assistant("as_llm_err", llm_secondary={"model": "backup-model"}))
    stack.deepgram.script = ["Are you there?"]
    stack.openai.push(ErrorReply(500), ErrorReply(500))
    call = await stack.place_call(assistant_id="as_llm_err")
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(400)
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=300)
        await caller.wait_for_mark("@end", count=2)

    assert len(resilient.openai_secondary.requests) == 1
    ended = await stack.call_ended(call.call_id)
    assert ended.transcript[-1].text == SECONDARY_REPLY


async def test_the_secondary_voice_speaks_audible_phone_audio_and_raises_typed_errors(
    resilient: ResilientStack,
) -> None:
    # given OpenAI TTS on the speech fake, whose second request fails
    stack = resilient.stack
    client = openai_client("test-openai-key", base_url=stack.openai.base_url)
    stack.openai.push_speech(SpeechReply(), ErrorReply(500))
    voice = OpenAITextToSpeech(client, voice="alloy", retry=NO_RETRY)
    try:
        ok = voice.start_utterance("ok")
        await ok.push("Hello there.")
        await ok.finish()
        audio = b"".join([chunk async for chunk in ok.audio()])
        failing = voice.start_utterance("failing")
        await failing.push("Hello again.")
        await failing.finish()
        with pytest.raises(ProviderError) as raised:
            async for _ in failing.audio():
                pass
    finally:
        await client.close()

    # then the first is loud 8 kHz mu-law of the input's length (12 chars x 60 ms), the second a typed error
    assert len(audio) >= 700 * 8 and rms(audio) > 1000
    assert raised.value.provider == "openai_tts" and raised.value.retryable
