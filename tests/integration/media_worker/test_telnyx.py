"""Telnyx streams take the same path as Twilio; only the wire format differs (and media is reordered)."""

from __future__ import annotations

from fakes import TextReply
from fakes.audio import speech_like_mulaw
from switchboard.caller import SimulatedCaller
from switchboard.caller.caller import now_ms

from .harness import GREETING, WorkerStack


async def test_a_telnyx_call_hears_the_greeting_and_gets_a_reply(stack: WorkerStack) -> None:
    # given a Telnyx call whose media frames arrive pairwise out of order
    stack.deepgram.script = ["I would like to book a table."]
    stack.openai.push(TextReply("Of course, for how many people?"))
    call = await stack.place_call(carrier="telnyx")
    async with stack.caller(call, carrier="telnyx", swap_media_pairs=True) as caller:
        await caller.wait_for_mark("@end")
        assert stack.cartesia.contexts[0].transcript.strip() == GREETING
        asked_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0))
        await caller.silence(400)
        await caller.wait_for_reply_audio(since_ms=asked_at, min_ms=300)

    assert stack.openai.last_request.messages[-1] == {"role": "user", "content": "I would like to book a table."}
    # every caller frame reached the STT in order (reordered by chunk): nothing was skipped
    assert stack.deepgram.sessions[0].audio_bytes >= 8000
    ended = await stack.call_ended(call.call_id)
    assert ended.carrier == "telnyx" and ended.usage.carrier == "telnyx"
    assert ended.from_number == "+14155550100" and ended.to_number == "+14155550199"


async def test_a_telnyx_stream_with_a_forged_token_is_refused(stack: WorkerStack) -> None:
    call = await stack.place_call(carrier="telnyx")
    caller = SimulatedCaller(f"{stack.url}/telnyx", carrier="telnyx", token=call.token + "x")
    await caller.connect()
    await caller.wait_closed()
    assert caller.record.close_code == 4401 and "forged" in caller.record.close_reason
    assert stack.deepgram.sessions == []
