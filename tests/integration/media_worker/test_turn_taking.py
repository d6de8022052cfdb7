"""Barge-in, false interruptions, slow numbers and DTMF, end to end over the real socket and SDKs."""

from __future__ import annotations

from fakes import TextReply
from fakes.audio import speech_like_mulaw
from switchboard.caller.caller import now_ms

from .harness import WorkerStack

LONG_REPLY = (
    "Well, let me tell you all about our menu tonight. We have fresh pasta, wood fired pizza, "
    "three kinds of salad, a soup of the day, and a great many desserts to choose from."
)


async def test_a_barge_in_clears_playback_cancels_llm_and_tts_and_keeps_only_the_heard_text(
    stack: WorkerStack,
) -> None:
    # given a long reply that is still streaming from the LLM while it plays
    stack.deepgram.script = ["Tell me about the menu.", "Hold on please."]
    stack.openai.push(TextReply(LONG_REPLY, tokens_per_s=6.0), TextReply("Of course, take your time."))
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(400)
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=800)
        # when the caller talks over the agent
        await caller.speak(speech_like_mulaw(1.2, seed=2))
        await caller.silence(500)
        await caller.wait_for_clear()
        await caller.wait_for_reply_audio(since_ms=now_ms(), min_ms=200)

    first, second = stack.openai.requests[:2]
    # then the carrier got clear, the LLM stream was cancelled and the reply's TTS context too
    assert caller.clears
    assert first.cancelled and not first.completed
    reply_context = next(c for c in stack.cartesia.contexts if "Well, let me tell you" in c.transcript)
    assert reply_context.cancelled
    # and the next request holds only what the caller heard of the interrupted reply
    assistant_said = [m["content"] for m in second.messages if m["role"] == "assistant"][-1]
    assert assistant_said and LONG_REPLY.startswith(assistant_said)
    assert len(assistant_said) < len(first.text_sent.strip())
    assert second.messages[-1] == {"role": "user", "content": "Hold on please."}
    ended = await stack.call_ended(call.call_id)
    interrupted = [t for t in ended.transcript if t.interrupted]
    assert interrupted and interrupted[0].heard_text == assistant_said


async def test_a_false_interruption_lets_the_agent_finish(stack: WorkerStack) -> None:
    # given the agent is speaking a reply, and the STT will hear noise with no words
    stack.deepgram.script = ["Tell me about the menu.", ""]
    stack.openai.push(TextReply("We have pasta, pizza and salads, and soup of the day."))
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(400)
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=300)
        # when the caller makes a noise while it plays
        await caller.speak(speech_like_mulaw(0.5, seed=3))
        await caller.silence(400)
        # then the reply plays to its end with no clear
        await caller.wait_for_mark("@end", count=2)

    assert caller.clears == []
    assert stack.deepgram.last_session.sent_of("SpeechStarted")  # the STT did hear speech energy
    assert not any(c.cancelled for c in stack.cartesia.contexts)
    assert len(stack.openai.requests) == 1


async def test_a_number_read_slowly_is_not_cut_off(stack: WorkerStack) -> None:
    # given the caller dictates a phone number in two groups with a pause
    stack.deepgram.script = ["My number is 4 1 5", "5 5 5 0 1 2 3."]
    stack.openai.push(TextReply("Thanks, I have your number."))
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        await caller.speak(speech_like_mulaw(1.2))
        await caller.silence(500)  # endpointing fires (300 ms), the hold keeps the turn open
        await caller.speak(speech_like_mulaw(1.5, seed=4))
        await caller.silence(500)
        await caller.wait_for_reply_audio(since_ms=now_ms(), min_ms=200)

    # then the LLM was asked once, with every digit in one user message
    assert len(stack.openai.requests) == 1
    user = stack.openai.requests[0].messages[-1]
    assert user["role"] == "user"
    assert "4 1 5" in user["content"] and "5 5 5 0 1 2 3" in user["content"]


async def test_dtmf_reaches_the_llm_as_text(stack: WorkerStack) -> None:
    stack.openai.push(TextReply("Connecting you to billing."))
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        pressed_at = now_ms()
        await caller.press("12#")
        await caller.wait_for_reply_audio(since_ms=pressed_at, min_ms=200)

    assert stack.openai.requests[0].messages[-1] == {"role": "user", "content": "[DTMF] 1 2 #"}
    ended = await stack.call_ended(call.call_id)
    assert ended.dtmf == ("1", "2", "#")
