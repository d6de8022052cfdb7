"""A simulated Twilio caller talks to the worker over loopback; real SDKs reach the fakes."""

from __future__ import annotations

from fakes import TextReply
from fakes.audio import speech_like_mulaw
from switchboard.caller.caller import now_ms

from .harness import GREETING, WorkerStack


async def test_the_greeting_is_heard_before_the_caller_speaks(stack: WorkerStack) -> None:
    # given a placed call
    call = await stack.place_call()
    # when the caller connects and only listens
    async with stack.caller(call) as caller:
        await caller.wait_for_reply_audio(min_ms=200)
        await caller.wait_for_mark("@end")
        # then non-silent greeting audio arrived and played to its end, all three providers were opened
        assert caller.voiced_ms() >= 200
        assert stack.cartesia.contexts[0].transcript.strip() == GREETING
        assert len(stack.deepgram.sessions) == 1
        assert await stack.call_status(call.call_id) == "in_progress"


async def test_a_spoken_turn_gets_a_spoken_reply(stack: WorkerStack) -> None:
    # given the STT will hear a question and the LLM answers it
    stack.deepgram.script = ["I need a table for two."]
    stack.openai.push(TextReply("Sure, for what time would you like it?"))
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        # when the caller speaks and pauses
        spoke_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(500)
        # then the reply is heard
        await caller.wait_for_reply_audio(since_ms=spoke_at, min_ms=300)

    request = stack.openai.last_request
    assert request.messages[-1] == {"role": "user", "content": "I need a table for two."}
    assert request.messages[0]["role"] == "system"
    assert {"role": "assistant", "content": GREETING} in request.messages
    replies = [c.transcript for c in stack.cartesia.contexts]
    assert any("Sure, for what time" in text for text in replies)
    # and call.ended reaches the bus with the transcript and usage
    ended = await stack.call_ended(call.call_id)
    assert [(t.role, t.text) for t in ended.transcript][:2] == [("assistant", GREETING),
                                                                  ("caller", "I need a table for two.")]  # fmt: skip
    assert ended.end_reason == "caller_hung_up"
    assert ended.usage.llm_input_tokens > 0 and ended.usage.tts_characters > 0
    assert ended.usage.stt_seconds >= 1.0 and ended.usage.call_seconds >= 1.0
    assert ended.latency.turns == 1 and ended.latency.voice_to_voice_p50_ms is not None
