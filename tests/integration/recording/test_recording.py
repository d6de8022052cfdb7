"""A call through the worker is recorded in two aligned channels, uploaded to S3, and its transcript stored redacted."""

from __future__ import annotations

import asyncio
import json

import numpy as np

from fakes import TextReply
from fakes.audio import speech_like_mulaw
from media_worker.runtime.transcript_store import text_key
from media_worker.runtime.uploader import recording_prefix
from switchboard.caller.caller import now_ms
from switchboard.gdpr import recording_key, transcript_key
from switchboard.retention import RETENTION_TAG_KEY
from tests.integration.media_worker.harness import TENANT

from .conftest import MakeStack, parse_wav, s3_keys, voiced_frames, wait_for_object, wait_until_idle


async def test_a_call_is_recorded_in_two_channels_aligned_in_time_and_uploaded(make_stack: MakeStack) -> None:
    # given a worker recording calls, an STT that hears a question and an LLM that answers it
    stack = await make_stack()
    stack.deepgram.script = ["I need a table for two."]
    stack.openai.push(TextReply("Sure, for what time would you like it?"))
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")  # the greeting played
        # when the caller speaks for one second, then listens to the whole reply
        spoke_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0, seed=7))
        await caller.silence(400)
        await caller.wait_for_reply_audio(since_ms=spoke_at, min_ms=300)
        await caller.wait_for_mark("@end", count=2)
        heard_ms = caller.voiced_ms()
    ended = await stack.call_ended(call.call_id)

    # then call.ended names the recording, which is a stereo 8 kHz 16-bit WAV as long as the call
    key = recording_key(TENANT, call.call_id)
    assert ended.recording_key == key
    recording = parse_wav(await wait_for_object(stack.aws.bucket, key))
    assert (recording.channels, recording.rate, recording.width) == (2, 8000, 2)
    assert abs(recording.seconds - ended.usage.call_seconds) < 1.0
    # the caller channel holds the caller's second of speech, the agent channel what the caller heard
    caller_frames, agent_frames = voiced_frames(recording.caller), voiced_frames(recording.agent)
    assert abs(len(caller_frames) * 20 - 1000) <= 40
    assert abs(len(agent_frames) * 20 - heard_ms) <= 100
    # aligned: the greeting is before the caller spoke, the reply after the caller stopped
    speech_start, speech_end = caller_frames[0], caller_frames[-1]
    greeting = agent_frames[agent_frames < speech_start]
    reply = agent_frames[agent_frames > speech_end]
    assert len(greeting) >= 5 and len(reply) >= 15
    assert not np.isin(agent_frames, caller_frames).any()  # nobody talked over the other
    # and the segments were assembled and removed, the object tagged for retention
    await wait_until_idle(stack)
    assert await asyncio.to_thread(s3_keys, stack.aws.bucket, recording_prefix(TENANT, call.call_id)) == []
    tags = await asyncio.to_thread(_tags, stack.aws.bucket, key)
    assert tags.get(RETENTION_TAG_KEY) == "30"
    assert (await asyncio.to_thread(_record_key, stack, call.call_id)) == key


async def test_the_transcript_is_stored_as_json_and_text_redacted(make_stack: MakeStack) -> None:
    # given a caller who says their email address
    stack = await make_stack()
    stack.deepgram.script = ["My email is jane.doe@example.com thanks."]
    stack.openai.push(TextReply("Got it."))
    call = await stack.place_call()
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        spoke_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0, seed=2))
        await caller.silence(400)
        await caller.wait_for_reply_audio(since_ms=spoke_at, min_ms=200)
    ended = await stack.call_ended(call.call_id)

    # then call.ended, the JSON and the text carry [EMAIL], never the address
    caller_turns = [t.text for t in ended.transcript if t.role == "caller"]
    assert caller_turns == ["My email is [EMAIL] thanks."]
    document = json.loads(await wait_for_object(stack.aws.bucket, transcript_key(TENANT, call.call_id)))
    assert [(t["role"], t["text"]) for t in document["turns"]][:2] == [
        ("assistant", "Hi there!"), ("caller", "My email is [EMAIL] thanks.")]  # fmt: skip
    assert document["redaction"] == "placeholder" and document["call_id"] == call.call_id
    text = (await wait_for_object(stack.aws.bucket, text_key(TENANT, call.call_id))).decode()
    assert "Caller: My email is [EMAIL] thanks." in text and "Assistant: Hi there!" in text
    assert "jane" not in text and "jane" not in json.dumps(document)


def _tags(bucket: str, key: str) -> dict[str, str]:
    import boto3

    tags = boto3.client("s3").get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    return {tag["Key"]: tag["Value"] for tag in tags}


def _record_key(stack: object, call_id: str) -> str | None:
    from switchboard.store.calls import get_call

    return get_call(stack.table, TENANT, call_id).recording_key  # type: ignore[attr-defined]
