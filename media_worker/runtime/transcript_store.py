"""The stored transcript: JSON at ``gdpr.transcript_key`` and plain text at its ``.txt`` sibling.

The turns handed in are already redacted (and PCI-masked): this module only shapes and writes them.
JSON (``application/json``)::

    {"version": 1, "call_id", "tenant_id", "assistant_id", "started_at", "ended_at", "redaction",
     "recording_key", "dtmf": ["*", ...],
     "turns": [{"role", "text", "start_ms", "end_ms", "interrupted", "heard_text", "tool_calls": [...]}]}

Text (``text/plain; charset=utf-8``), one line per turn, offsets since the stream started::

    [00:01.2] Assistant: Hi there! (interrupted; heard: "Hi")
    [00:03.4] Caller: My email is [EMAIL].
              -> tool lookup_order: ok (120 ms)

Both objects carry the retention tag and, when the plan names one, SSE-KMS with that key. Writing is
blocking (boto3): call :func:`put_transcript` through ``asyncio.to_thread``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from switchboard.gdpr import transcript_key
from switchboard.models import Turn

TRANSCRIPT_VERSION = 1


def text_key(tenant_id: str, call_id: str) -> str:
    return transcript_key(tenant_id, call_id).removesuffix(".json") + ".txt"


@dataclass(frozen=True, slots=True)
class TranscriptObject:
    tenant_id: str
    call_id: str
    assistant_id: str | None
    started_at: datetime
    ended_at: datetime
    turns: tuple[Turn, ...]
    redaction: str
    dtmf: tuple[str, ...] = ()
    recording_key: str | None = None

    def document(self) -> dict[str, Any]:
        return {
            "version": TRANSCRIPT_VERSION, "call_id": self.call_id, "tenant_id": self.tenant_id,
            "assistant_id": self.assistant_id, "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat(), "redaction": self.redaction, "recording_key": self.recording_key,
            "dtmf": list(self.dtmf), "turns": [turn.to_wire() for turn in self.turns],
        }  # fmt: skip

    def text(self) -> str:
        return render_text(self.turns)


def _clock(ms: float) -> str:
    seconds = max(0.0, ms) / 1000.0
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes):02d}:{rest:04.1f}"


def render_text(turns: Sequence[Turn]) -> str:
    lines = []
    for turn in turns:
        who = "Caller" if turn.role == "caller" else "Assistant"
        line = f"[{_clock(turn.start_ms)}] {who}: {turn.text}".rstrip()
        if turn.interrupted:
            heard = f'; heard: "{turn.heard_text}"' if turn.heard_text is not None else ""
            line += f" (interrupted{heard})"
        lines.append(line)
        for call in turn.tool_calls:
            lines.append(f"          -> tool {call.name}: {call.outcome} ({round(call.latency_ms)} ms)")
    return "\n".join(lines) + ("\n" if lines else "")


def put_transcript(s3: Any, bucket: str, transcript: TranscriptObject, *, tagging: str,
                   kms_key_id: str | None = None) -> tuple[str, str]:  # fmt: skip
    """Write the JSON and the text object; returns their keys (blocking)."""
    args: dict[str, str] = {"Tagging": tagging}
    if kms_key_id:
        args |= {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id}
    json_key = transcript_key(transcript.tenant_id, transcript.call_id)
    txt_key = text_key(transcript.tenant_id, transcript.call_id)
    body = json.dumps(transcript.document(), ensure_ascii=False, separators=(",", ":")).encode()
    s3.put_object(Bucket=bucket, Key=json_key, Body=body, ContentType="application/json", **args)
    s3.put_object(Bucket=bucket, Key=txt_key, Body=transcript.text().encode(), ContentType="text/plain; charset=utf-8",
                  **args)  # fmt: skip
    return json_key, txt_key
