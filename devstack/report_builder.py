"""Gathers a demo call's facts into a :class:`~switchboard.report.CallReport`.

Sources, each labelled in the report: the call record (admin API: transcript, analysis, latency
summary), the worker's per-turn latency lines (its JSON log), the caller's own measurements and
recording, the ticket desk (tool arguments and results) and the HubSpot fake (CRM writeback).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from devstack.demo_webhook import Ticket
from devstack.stack import LocalStack
from media_worker.runtime.latency import SpanBook, TurnLatency
from switchboard.caller import SimulatedCaller
from switchboard.caller.caller import now_ms
from switchboard.caller.script import CallerLine, Conversation
from switchboard.report import CallReport, LatencyRow, ToolCallRow, mix_recording, wav_bytes

STAGE_ORDER = ("endpointing", "llm_request", "llm_first_token", "first_clause", "tts_first_audio", "first_frame_sent")


def _stages(values: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    """The stages in pipeline order; a value that is not a number (e.g. masked by a log filter) is left out."""
    ordered = []
    for name in STAGE_ORDER:
        value = values.get(name)
        if isinstance(value, int | float):
            ordered.append((name, float(value)))
    return tuple(ordered)


def crm_requests(stack: LocalStack) -> list[dict[str, Any]]:
    """Every request the HubSpot fake received (route, method, path, status, JSON body)."""
    assert stack.crm is not None
    return [{"route": r.route, "method": r.method, "path": r.path, "status": r.status, "body": r.body}
            for r in stack.crm.requests]  # fmt: skip


def recording(caller: SimulatedCaller, conversation: Conversation) -> bytes:
    """What the caller said and what it heard, mixed on the call's timeline."""
    origin = now_ms() - caller.elapsed_ms
    heard = [(frame.start_ms - origin, frame.audio) for frame in caller.playback.frames]
    return wav_bytes(mix_recording([*conversation.said, *heard]))


def turns_from_spans(spans: Sequence[dict[str, Any]]) -> list[TurnLatency]:
    """Per-turn latency from the worker's ``span`` log lines, computed as the worker does (``SpanBook``)."""
    book = SpanBook()
    for entry in spans:
        at_ms = entry.get("at_ms")
        if isinstance(at_ms, int | float) and isinstance(entry.get("turn"), int):
            book.record(int(entry["turn"]), str(entry.get("span")), float(at_ms))
    return book.turns


def _with_rest(stages: tuple[tuple[str, float], ...], total_ms: float) -> tuple[tuple[str, float], ...]:
    rest = total_ms - sum(ms for _, ms in stages)
    return (*stages, ("unattributed", rest)) if rest > 1.0 else stages


def latency_rows(
    worker_turns: Sequence[dict[str, Any]], record: dict[str, Any] | None, conversation: Conversation,
    spans: Sequence[dict[str, Any]] = (),
) -> tuple[list[LatencyRow], str]:  # fmt: skip
    """Worker spans per turn if the worker logged them, else the record's p50 summary, else the caller's figures."""
    caller_v2v = [t.voice_to_voice_ms for t in conversation.turns if t.voice_to_voice_ms is not None]
    from_spans = turns_from_spans(spans)
    if from_spans or worker_turns:
        rows = []
        if from_spans:
            measured = [(t.turn_index, _stages(t.stages_ms), t.voice_to_voice_ms) for t in from_spans]
        else:
            measured = [(e.get("turn"), _stages(e.get("stages_ms") or {}), float(e.get("voice_to_voice_ms") or 0))
                        for e in worker_turns]  # fmt: skip
        for i, (turn, stages, total) in enumerate(measured):
            rows.append(LatencyRow(f"turn {turn}", _with_rest(stages, total), "worker spans",
                                   caller_v2v[i] if i < len(caller_v2v) else None))  # fmt: skip
        note = ("Bars: the worker's spans for each caller turn (caller stopped → transcript final → LLM request → "
                "first token (including any tool call and its result) → first clause to TTS → first TTS audio → "
                "first frame sent), computed from its span log lines. Dashed line: the "
                "voice-to-voice the simulated caller measured for the same turn (matched in order): end of its "
                "speech → first non-silent reply frame received.")  # fmt: skip
        return rows, note
    summary = (record or {}).get("latency") or {}
    if summary.get("stage_p50_ms"):
        median = sorted(caller_v2v)[len(caller_v2v) // 2] if caller_v2v else None
        row = LatencyRow(f"p50 of {summary.get('turns')} turns", _stages(summary["stage_p50_ms"]),
                         "call record (worker p50)", median)  # fmt: skip
        return [row], "Per-turn spans were not available; the call record's per-stage medians are shown."
    rows = [LatencyRow(f"turn {t.index}", (("voice_to_voice", float(t.voice_to_voice_ms)),), "caller-measured")
            for t in conversation.turns if t.voice_to_voice_ms is not None]  # fmt: skip
    return rows, "Only the caller's own measurement was available: end of its speech → first reply audio."


def tool_rows(tickets: Sequence[Ticket], record: dict[str, Any] | None, call_id: str) -> list[ToolCallRow]:
    mine = [t for t in tickets if t.call_id == call_id]
    rows: list[ToolCallRow] = []
    for turn in (record or {}).get("transcript") or []:
        for tool in turn.get("tool_calls") or []:
            arguments: dict[str, Any] = {}
            result: Any = None
            if tool.get("name") == "create_support_ticket" and mine:
                ticket = mine.pop(0)
                arguments, result = ticket.arguments, {"ticket_id": ticket.ticket_id, "status": "open"}
            rows.append(ToolCallRow(str(tool.get("name")), arguments, result, str(tool.get("outcome", "")),
                                    float(tool.get("latency_ms") or 0.0)))  # fmt: skip
    rows += [ToolCallRow("create_support_ticket", t.arguments, {"ticket_id": t.ticket_id}, "ok") for t in mine]
    return rows


def build_report(
    stack: LocalStack, call_id: str, record: dict[str, Any] | None, conversation: Conversation,
    caller: SimulatedCaller, lines: Sequence[CallerLine],
) -> CallReport:  # fmt: skip
    assert stack.webhook is not None and stack.crm is not None
    worker_turns, _ = stack.worker_seen.for_call(call_id)
    rows, note = latency_rows(worker_turns, record, conversation, stack.worker_seen.spans_of(call_id))
    crm = crm_requests(stack)
    voice = "speech-shaped noise; the fake STT returns the scripted words" if stack.plan.fakes else "Piper (offline)"
    analysis = (record or {}).get("analysis")
    notes = [
        f"Providers: {stack.plan.describe()}.",
        f"The caller's voice: {voice}.",
        "Everything ran locally: moto (AWS), the local API gateway with the real Lambda handlers, the event router, "
        "the media worker process, the HubSpot fake and the demo ticket webhook.",
    ]  # fmt: skip
    if analysis and analysis.get("source") == "fallback":
        notes.append("Analysis: no analysis LLM is configured offline (post_call uses an OpenAI-compatible API), "
                     "so post_call stored its neutral fallback. Set OPENAI_API_KEY for a real analysis.")  # fmt: skip
    return CallReport(
        call_id=call_id,
        providers=stack.plan.describe(),
        started_at=str((record or {}).get("started_at", "")),
        transcript=list((record or {}).get("transcript") or []),
        caller_script=[line.text for line in lines],
        recording_wav=recording(caller, conversation),
        latency=rows,
        latency_note=note,
        tool_calls=tool_rows(stack.webhook.desk.tickets, record, call_id),
        analysis=analysis,
        crm=crm,
        crm_note="Requests the local HubSpot (fake) received from post_call: contact search by the caller's "
                 "number, then the call engagement.",
        call_record=record or {},
        notes=notes,
    )
