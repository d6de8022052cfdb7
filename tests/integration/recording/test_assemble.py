"""``assemble`` against moto: segments -> one WAV (multipart above the part size), gaps filled, SSE and tags kept."""

from __future__ import annotations

import boto3
import numpy as np

from media_worker.runtime.recorder import Segment
from media_worker.runtime.uploader import RecordingTarget, assemble, put_manifest, put_segment, segments_prefix
from switchboard.gdpr import recording_key
from switchboard.local_aws import LocalResources

from .conftest import parse_wav, s3_get, s3_keys

SEGMENT_S = 60.0
SAMPLES = int(SEGMENT_S * 8000)


def segment(index: int, samples: int = SAMPLES) -> Segment:
    values = np.full((samples, 2), index + 1, dtype="<i2")
    return Segment(index, index * SAMPLES, values.tobytes())


def test_segments_with_a_gap_become_one_multipart_wav_with_silence_in_the_gap(aws: LocalResources) -> None:
    # given a call whose worker uploaded segments 0, 1 and 3 (a shorter last one) but lost segment 2
    s3 = boto3.client("s3")
    target = RecordingTarget(aws.bucket, "tn_a", "ca_a", SEGMENT_S, "retention-days=30")
    put_manifest(s3, target)
    for item in (segment(0), segment(1), segment(3, samples=8000)):
        put_segment(s3, target, item)

    # when it is assembled with 5 MiB parts (7.7 MB of audio: a multipart upload of two parts)
    result = assemble(s3, aws.bucket, "tn_a", "ca_a", part_bytes=5 * 1024 * 1024)

    # then one WAV holds every segment in place, the missing one as silence, and the segments are gone
    assert result is not None and result.missing == (2,) and result.segments == 3
    recording = parse_wav(s3_get(aws.bucket, recording_key("tn_a", "ca_a")))
    assert recording.seconds == 3 * SEGMENT_S + 1.0 == result.seconds
    assert (recording.caller[:SAMPLES] == 1).all() and (recording.agent[SAMPLES : 2 * SAMPLES] == 2).all()
    assert not recording.caller[2 * SAMPLES : 3 * SAMPLES].any()
    assert (recording.caller[3 * SAMPLES :] == 4).all()
    tags = s3.get_object_tagging(Bucket=aws.bucket, Key=recording_key("tn_a", "ca_a"))["TagSet"]
    assert tags == [{"Key": "retention-days", "Value": "30"}]
    assert s3_keys(aws.bucket, segments_prefix("tn_a", "ca_a")) == []


def test_a_small_recording_is_one_put_under_the_manifest_kms_key(aws: LocalResources) -> None:
    s3 = boto3.client("s3")
    key_arn = boto3.client("kms").create_key()["KeyMetadata"]["Arn"]
    target = RecordingTarget(aws.bucket, "tn_a", "ca_b", 1.0, "retention-days=7", kms_key_id=key_arn)
    put_manifest(s3, target)
    put_segment(s3, target, Segment(0, 0, bytes(8000 * 4)))
    result = assemble(s3, aws.bucket, "tn_a", "ca_b")
    assert result is not None and result.seconds == 1.0
    head = s3.head_object(Bucket=aws.bucket, Key=recording_key("tn_a", "ca_b"))
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key_arn


def test_nothing_to_assemble_is_none(aws: LocalResources) -> None:
    assert assemble(boto3.client("s3"), aws.bucket, "tn_a", "ca_never") is None
