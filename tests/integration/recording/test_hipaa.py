"""HIPAA mode in the worker: nothing stored without a dedicated key (KMS with it), no log bodies, BAA providers only."""

from __future__ import annotations

import asyncio
import io
import json

import boto3

from fakes import TextReply
from fakes.audio import speech_like_mulaw
from media_worker.runtime.call_compliance import CLOSE_REFUSED
from switchboard.caller.caller import now_ms
from switchboard.gdpr import call_object_prefix, recording_key, transcript_key
from switchboard.log_redaction import WITHHELD
from switchboard.models import Compliance
from tests.integration.media_worker.harness import TENANT, WorkerStack, assistant

from .conftest import MakeStack, s3_head, s3_keys, wait_until_idle

ALL_VENDORS = "deepgram,openai,cartesia"


async def hipaa_call(stack: WorkerStack) -> str:
    """A HIPAA assistant's call in which the caller says an email address; returns the call id."""
    await stack.add_assistant(assistant("as_hipaa").model_copy(update={"compliance": Compliance(hipaa_mode=True)}))
    stack.deepgram.script = ["My email is jane.doe@example.com thanks."]
    stack.openai.push(TextReply("Got it."))
    call = await stack.place_call(assistant_id="as_hipaa")
    async with stack.caller(call) as caller:
        await caller.wait_for_mark("@end")
        spoke_at = now_ms()
        await caller.speak(speech_like_mulaw(1.0, seed=4))
        await caller.silence(400)
        await caller.wait_for_reply_audio(since_ms=spoke_at, min_ms=200)
    await wait_until_idle(stack)
    return call.call_id


def call_lines(logs: str, call_id: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("call_id") == call_id]


async def test_a_hipaa_call_without_a_dedicated_key_stores_nothing_and_logs_no_bodies(
    make_stack: MakeStack, worker_logs: io.StringIO
) -> None:
    # given a stage whose providers are BAA-eligible but that has no HIPAA key
    stack = await make_stack(SWITCHBOARD_BAA_PROVIDERS=ALL_VENDORS)
    # when a HIPAA assistant takes a call
    call_id = await hipaa_call(stack)
    ended = await stack.call_ended(call_id)

    # then nothing is stored, call.ended names no recording and carries the transcript redacted
    assert await asyncio.to_thread(s3_keys, stack.aws.bucket, call_object_prefix(TENANT, call_id)) == []
    assert ended.recording_key is None
    assert [t.text for t in ended.transcript if t.role == "caller"] == ["My email is [EMAIL] thanks."]
    # and every log line of the call keeps no body (ids and numbers only)
    lines = call_lines(worker_logs.getvalue(), call_id)
    assert len(lines) > 10
    assert all(line["msg"] == WITHHELD for line in lines)
    assert "jane" not in worker_logs.getvalue() and "Got it" not in worker_logs.getvalue()
    # (the policy forgets the call once it is over)
    assert not stack.app.compliance.policy.is_hipaa(call_id)  # type: ignore[union-attr]


async def test_a_hipaa_call_with_a_dedicated_key_is_stored_under_that_key(
    make_stack: MakeStack, worker_logs: io.StringIO
) -> None:
    # given a stage with a HIPAA KMS key
    key_arn = await asyncio.to_thread(lambda: boto3.client("kms").create_key()["KeyMetadata"]["Arn"])
    stack = await make_stack(SWITCHBOARD_BAA_PROVIDERS=ALL_VENDORS, SWITCHBOARD_HIPAA_KMS_KEY_ARN=key_arn)
    # when a HIPAA assistant takes a call
    call_id = await hipaa_call(stack)
    ended = await stack.call_ended(call_id)

    # then the recording and the transcript are stored with SSE-KMS under that key
    assert ended.recording_key == recording_key(TENANT, call_id)
    for key in (recording_key(TENANT, call_id), transcript_key(TENANT, call_id)):
        head = await asyncio.to_thread(s3_head, stack.aws.bucket, key)
        assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key_arn
    # and the logs still keep no bodies
    assert all(line["msg"] == WITHHELD for line in call_lines(worker_logs.getvalue(), call_id))


async def test_a_hipaa_assistant_with_a_provider_not_baa_eligible_is_refused(
    make_stack: MakeStack, worker_logs: io.StringIO
) -> None:
    # given a stage where only Deepgram and OpenAI are BAA-eligible (the assistant speaks through Cartesia)
    stack = await make_stack(SWITCHBOARD_BAA_PROVIDERS="deepgram,openai")
    await stack.add_assistant(assistant("as_hipaa").model_copy(update={"compliance": Compliance(hipaa_mode=True)}))
    call = await stack.place_call(assistant_id="as_hipaa")
    # when the call's stream connects
    async with stack.caller(call) as caller:
        await caller.wait_closed()
    ended = await stack.call_ended(call.call_id)

    # then the stream is closed with 4403 before any provider was contacted, and call.ended says why
    assert (caller.record.close_code, caller.record.close_reason) == (CLOSE_REFUSED, "providers not BAA-eligible")
    assert ended.end_reason == "provider_error" and ended.transcript == () and ended.recording_key is None
    assert stack.deepgram.sessions == [] and stack.cartesia.connections == [] and stack.openai.requests == []
    (refused,) = [line for line in call_lines(worker_logs.getvalue(), call.call_id)
                  if line["msg"] == "call refused: providers not BAA-eligible"]  # fmt: skip
    assert refused["violations"] == ["tts:cartesia"] and refused["level"] == "ERROR"
    await wait_until_idle(stack)
    assert await asyncio.to_thread(s3_keys, stack.aws.bucket, call_object_prefix(TENANT, call.call_id)) == []
