"""The recording on S3 while the call runs: small segment objects, assembled into one WAV at the end.

Why segments and not one multipart upload: S3 parts are at least 5 MiB (all but the last), which is
about 160 s of 8 kHz 16-bit stereo, so a worker crash would lose up to that much. Instead:

- **During the call** each settled :class:`~.recorder.Segment` (default 5 s,
  ``SWITCHBOARD_RECORDING_SEGMENT_S``) is written as its own object, raw interleaved 16-bit PCM
  (``pcm_s16le``, 8000 Hz, 2 channels: caller, agent; the format is in the manifest)::

      tenants/{t}/calls/{c}/recording/manifest.json        written first (format, segment length, SSE key, tags)
      tenants/{t}/calls/{c}/recording/segments/000000.pcm  one per segment, in order
      tenants/{t}/calls/{c}/recording.wav                  the assembled recording (gdpr.recording_key)

  A crash loses what was not yet uploaded: the segment being filled plus, with PCI masking, the audio
  the STT has not finalized yet (normally a second or two).
- **At the end** :func:`assemble` concatenates the segments behind a WAV header into
  ``recording.wav`` (one ``PutObject`` under 8 MiB; above that a multipart upload of 8 MiB parts
  built while reading the segments in order, so memory stays bounded), then deletes the segments and
  the manifest. ``UploadPartCopy`` cannot be used: the segments are far below the 5 MiB part minimum.
- **Resumable**: :func:`assemble` needs nothing but the bucket and the ids. A restarted worker, the
  post-call step or an operator (``python -m media_worker.runtime.uploader BUCKET TENANT CALL``) can
  assemble the segments of a call whose worker died; a missing segment in the middle is filled with
  silence so the channels stay aligned. Running it twice is harmless (the second run finds nothing).

Every object carries the retention tag (``Tagging``) and, when the storage plan names a key, SSE-KMS
with that key (HIPAA); otherwise the bucket's default encryption applies. Every S3 call runs in a
thread (``asyncio.to_thread``); the call's audio never waits for S3. S3 permissions the worker needs:
``s3:PutObject``, ``s3:PutObjectTagging``, ``s3:GetObject``, ``s3:DeleteObject`` and
``s3:AbortMultipartUpload`` on ``tenants/*/calls/*``, ``s3:ListBucket`` on the bucket (prefix
``tenants/``), and ``kms:GenerateDataKey`` / ``kms:Decrypt`` on the bucket key and the HIPAA key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from switchboard.gdpr import call_object_prefix, recording_key
from switchboard.pci import Span

from .logs import CallLogger
from .recorder import BYTES_PER_SECOND, CHANNEL_LAYOUT, CHANNELS, SAMPLE_RATE, SAMPLE_WIDTH, CallRecorder, Segment

PART_BYTES = 8 * 1024 * 1024
"""Multipart part size when assembling (S3 minimum is 5 MiB for all but the last part)."""
MANIFEST_VERSION = 1


def recording_prefix(tenant_id: str, call_id: str) -> str:
    return f"{call_object_prefix(tenant_id, call_id)}recording/"


def manifest_key(tenant_id: str, call_id: str) -> str:
    return f"{recording_prefix(tenant_id, call_id)}manifest.json"


def segments_prefix(tenant_id: str, call_id: str) -> str:
    return f"{recording_prefix(tenant_id, call_id)}segments/"


def segment_key(tenant_id: str, call_id: str, index: int) -> str:
    return f"{segments_prefix(tenant_id, call_id)}{index:06d}.pcm"


def wav_header(data_bytes: int) -> bytes:
    """A 44-byte RIFF/WAVE header for 8 kHz 16-bit stereo PCM of *data_bytes*."""
    byte_rate = SAMPLE_RATE * CHANNELS * SAMPLE_WIDTH
    return (
        b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, CHANNELS, SAMPLE_RATE, byte_rate, CHANNELS * SAMPLE_WIDTH,
                                8 * SAMPLE_WIDTH)
        + b"data" + struct.pack("<I", data_bytes)
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecordingTarget:
    """Where and how one call's recording objects are written."""

    bucket: str
    tenant_id: str
    call_id: str
    segment_s: float
    tagging: str
    kms_key_id: str | None = None

    def object_args(self) -> dict[str, str]:
        args = {"Tagging": self.tagging}
        if self.kms_key_id:
            args |= {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self.kms_key_id}
        return args

    def manifest(self) -> dict[str, Any]:
        return {
            "version": MANIFEST_VERSION, "format": "pcm_s16le", "sample_rate": SAMPLE_RATE, "channels": CHANNELS,
            "channel_layout": list(CHANNEL_LAYOUT), "segment_seconds": self.segment_s,
            "segment_samples": round(self.segment_s * SAMPLE_RATE), "tagging": self.tagging,
            "kms_key_id": self.kms_key_id,
        }  # fmt: skip


def put_manifest(s3: Any, target: RecordingTarget) -> None:
    s3.put_object(Bucket=target.bucket, Key=manifest_key(target.tenant_id, target.call_id),
                  Body=json.dumps(target.manifest()).encode(), ContentType="application/json",
                  **target.object_args())  # fmt: skip


def put_segment(s3: Any, target: RecordingTarget, segment: Segment) -> None:
    s3.put_object(Bucket=target.bucket, Key=segment_key(target.tenant_id, target.call_id, segment.index),
                  Body=segment.pcm, ContentType="application/octet-stream", **target.object_args())  # fmt: skip


# -- assembly -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssembledRecording:
    key: str
    seconds: float
    segments: int
    missing: tuple[int, ...] = ()


def _listed_segments(s3: Any, bucket: str, prefix: str) -> dict[int, int]:
    """segment index -> size in bytes."""
    found: dict[int, int] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            name = item["Key"][len(prefix) :]
            stem = name.removesuffix(".pcm")
            if stem.isdigit() and name.endswith(".pcm"):
                found[int(stem)] = int(item["Size"])
    return found


def _manifest(s3: Any, bucket: str, tenant_id: str, call_id: str) -> dict[str, Any] | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=manifest_key(tenant_id, call_id))["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    loaded: dict[str, Any] = json.loads(body)
    return loaded


@dataclass
class _PartWriter:
    """Writes the final object: one PutObject if small, else a multipart upload of fixed parts."""

    s3: Any
    bucket: str
    key: str
    args: dict[str, str]
    total: int
    part_bytes: int
    buffer: bytearray = field(default_factory=bytearray)
    upload_id: str | None = None
    parts: list[dict[str, Any]] = field(default_factory=list)

    def write(self, data: bytes) -> None:
        self.buffer += data
        if self.total > self.part_bytes:
            while len(self.buffer) >= self.part_bytes:
                self._part(bytes(self.buffer[: self.part_bytes]))
                del self.buffer[: self.part_bytes]

    def close(self) -> None:
        if self.upload_id is None and self.total <= self.part_bytes:
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer), ContentType="audio/wav",
                               **self.args)  # fmt: skip
            return
        if self.buffer:
            self._part(bytes(self.buffer))
        self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                          MultipartUpload={"Parts": self.parts})  # fmt: skip

    def abort(self) -> None:
        if self.upload_id is not None:
            with contextlib.suppress(Exception):
                self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)

    def _part(self, data: bytes) -> None:
        if self.upload_id is None:
            created = self.s3.create_multipart_upload(Bucket=self.bucket, Key=self.key, ContentType="audio/wav",
                                                      **self.args)  # fmt: skip
            self.upload_id = created["UploadId"]
        number = len(self.parts) + 1
        answer = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number,
                                     Body=data)  # fmt: skip
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"]})


def assemble(
    s3: Any, bucket: str, tenant_id: str, call_id: str, *, delete_segments: bool = True, part_bytes: int = PART_BYTES
) -> AssembledRecording | None:
    """Concatenate a call's segments into ``recording.wav`` (blocking: run it in a thread).

    Returns None when there is nothing to assemble (never recorded, or already assembled).
    """
    prefix = segments_prefix(tenant_id, call_id)
    sizes = _listed_segments(s3, bucket, prefix)
    manifest = _manifest(s3, bucket, tenant_id, call_id)
    if not sizes:
        return None
    manifest = manifest or {}
    frame = CHANNELS * SAMPLE_WIDTH
    full = int(manifest.get("segment_samples") or 0) * frame or max(sizes.values())
    last = max(sizes)
    missing = tuple(i for i in range(last + 1) if i not in sizes)
    data_bytes = sum(full if i != last else sizes[i] for i in range(last + 1))
    args = {"Tagging": manifest["tagging"]} if manifest.get("tagging") else {}
    if manifest.get("kms_key_id"):
        args |= {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": str(manifest["kms_key_id"])}
    key = recording_key(tenant_id, call_id)
    writer = _PartWriter(s3, bucket, key, args, total=44 + data_bytes, part_bytes=part_bytes)
    try:
        writer.write(wav_header(data_bytes))
        for index in range(last + 1):
            if index in missing:
                writer.write(bytes(full))
                continue
            body = s3.get_object(Bucket=bucket, Key=segment_key(tenant_id, call_id, index))["Body"].read()
            writer.write(body if index == last else body[:full].ljust(full, b"\x00"))
        writer.close()
    except BaseException:
        writer.abort()
        raise
    if delete_segments:
        keys = [segment_key(tenant_id, call_id, i) for i in sorted(sizes)] + [manifest_key(tenant_id, call_id)]
        for start in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]],
                                                     "Quiet": True})  # fmt: skip
    return AssembledRecording(key, data_bytes / BYTES_PER_SECOND, len(sizes), missing)


# -- while the call runs ------------------------------------------------------------------------


class RecordingUploader:
    """Cuts settled segments off the recorder and uploads them in order, in a worker thread.

    *horizon_s* says up to which stream time the recording may be stored (the PCI gate; infinite
    without PCI masking); *spans* gives the masked spans touching ``[start_s, end_s)``.
    """

    def __init__(
        self,
        s3: Any,
        target: RecordingTarget,
        recorder: CallRecorder,
        *,
        log: CallLogger,
        horizon_s: Callable[[], float] = lambda: float("inf"),
        spans: Callable[[float, float], Sequence[Span]] = lambda start, end: (),
        tick_s: float | None = None,
    ) -> None:
        self._s3 = s3
        self.target = target
        self._recorder = recorder
        self._log = log
        self._horizon_s = horizon_s
        self._spans = spans
        self._tick_s = tick_s if tick_s is not None else max(0.1, min(1.0, target.segment_s / 4))
        self._pending: deque[Segment] = deque()
        self._manifest_written = False
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.uploaded = 0
        self.failures = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._upload_task(), name="recording-upload-task")

    async def _upload_task(self) -> None:
        while not self._stopping.is_set():
            self.cut_settled()
            await self._upload_pending()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._tick_s):
                    await self._stopping.wait()

    @property
    def pending(self) -> tuple[Segment, ...]:
        """Segments cut but not uploaded yet."""
        return tuple(self._pending)

    def cut_settled(self) -> int:
        """Cut every segment that is complete and inside the horizon; returns how many."""
        horizon = self._horizon_s()
        limit = sys.maxsize if horizon == float("inf") else max(0, int(horizon * SAMPLE_RATE))
        recorder = self._recorder
        count = 0
        while recorder.can_cut(limit):
            start = recorder.next_index * recorder.segment_samples / SAMPLE_RATE
            end = recorder.next_segment_end() / SAMPLE_RATE
            self._pending.append(recorder.cut(self._spans(start, end)))
            count += 1
        return count

    async def _upload_pending(self) -> bool:
        try:
            if not self._manifest_written and self._pending:
                await asyncio.to_thread(put_manifest, self._s3, self.target)
                self._manifest_written = True
            while self._pending:
                await asyncio.to_thread(put_segment, self._s3, self.target, self._pending[0])
                self._pending.popleft()
                self.uploaded += 1
        except Exception as error:  # S3 or network: keep the segment, try again on the next tick
            self.failures += 1
            if self.failures <= 3 or self.failures % 20 == 0:
                self._log.warning("recording segment upload failed", error=type(error).__name__,
                                  pending=len(self._pending), failures=self.failures)  # fmt: skip
            return False
        return True

    async def finish(self, extra_spans: Sequence[Span] = (), *, attempts: int = 3) -> bool:
        """The call is over: cut and upload everything held. True if any segment is stored."""
        self._stopping.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        recorder = self._recorder
        start = recorder.next_index * recorder.segment_samples / SAMPLE_RATE
        spans = [*self._spans(start, float("inf")), *extra_spans]
        self._pending.extend(recorder.cut_rest(spans))
        for _ in range(attempts):
            if await self._upload_pending():
                break
        if self._pending:
            self._log.error("recording incomplete: segments not uploaded", pending=len(self._pending))
        return self.uploaded > 0

    async def assemble(self) -> AssembledRecording | None:
        t = self.target
        return await asyncio.to_thread(assemble, self._s3, t.bucket, t.tenant_id, t.call_id)

    async def aclose(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m media_worker.runtime.uploader BUCKET TENANT CALL``: assemble a call's segments."""
    import boto3

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        print("usage: python -m media_worker.runtime.uploader BUCKET TENANT_ID CALL_ID", file=sys.stderr)
        return 2
    result = assemble(boto3.client("s3"), *args)
    print(json.dumps(None if result is None else {"key": result.key, "seconds": round(result.seconds, 3),
                                                   "segments": result.segments, "missing": list(result.missing)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
