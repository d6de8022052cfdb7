"""``python -m devstack demo``: one scripted call through the running local stack, then the report.

The simulated caller (``switchboard.caller``) places the call exactly as Twilio would (signed voice
webhook → TwiML → media stream), speaks the script in real time and prints the live transcript;
tool calls (from the ticket desk) and the worker's per-turn latency print as they happen. After
hang-up it waits for post_call (EventBridge → SQS → event router) to store the analysis and write
the CRM, reads the call back through the admin API with the demo API key, and writes
``reports/call-<id>.html`` plus ``call-<id>.json`` (the same facts, for tests and tools).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devstack.demo_webhook import Ticket
from devstack.report_builder import build_report, crm_requests
from devstack.stack import REPO, LocalStack
from media_worker.providers.offline import deps
from switchboard.caller.cli import TerminalPrinter, call_and_talk, fetch_call, place_call
from switchboard.caller.script import SCRIPTS, Conversation, PiperVoice, Transcriber, WhisperTranscriber, voice_lines
from switchboard.report import write_report

REPORT_DIR = REPO / "reports"
POST_CALL_WAIT_S = 90.0


@dataclass
class DemoResult:
    call_id: str
    report_path: Path
    summary_path: Path
    call_record: dict[str, Any] | None
    tickets: list[dict[str, Any]]
    crm_requests: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)
    """platform failures: the demo exits 1"""
    warnings: list[str] = field(default_factory=list)
    """what a model did not do (the offline LLM may answer instead of calling the tool)"""

    @property
    def ok(self) -> bool:
        return not self.problems


def _voice(stack: LocalStack) -> Any:
    if stack.plan.fakes:
        from devstack.fake_providers import SpeechLikeVoice

        return SpeechLikeVoice()
    return PiperVoice()


def _transcriber(stack: LocalStack, printer: TerminalPrinter) -> Transcriber | None:
    if stack.plan.fakes or deps.missing(deps.SPEECH_MODULES):
        return None
    try:
        return WhisperTranscriber()
    except Exception as exc:  # the live transcript falls back to reply durations
        printer.line(f"  (agent replies not transcribed live: {type(exc).__name__})")
        return None


def _wait_for_post_call(stack: LocalStack, call_id: str, printer: TerminalPrinter) -> dict[str, Any] | None:
    """The call record once post_call stored its analysis and the CRM got the call (or time ran out)."""
    assert stack.demo is not None and stack.crm is not None and stack.router is not None
    deadline = time.monotonic() + POST_CALL_WAIT_S
    record: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        handled = any(d.consumer == "post_call" and not d.failed for d in stack.router.deliveries)
        if handled:
            record = fetch_call(stack.api_url, stack.demo.api_key, call_id, wait_s=0)
            if record is not None and record.get("analysis") is not None:
                break
        time.sleep(0.25)
    return record


def _live_printing(stack: LocalStack, printer: TerminalPrinter) -> None:
    assert stack.webhook is not None

    def ticket_opened(ticket: Ticket) -> None:
        printer.line(f"  tool    ⚙ create_support_ticket {json.dumps(ticket.arguments)} → {ticket.ticket_id}")

    def worker_line(entry: dict[str, Any]) -> None:
        if entry.get("msg") == "turn latency":
            stages = " + ".join(f"{name} {ms:.0f}" for name, ms in (entry.get("stages_ms") or {}).items()
                                if isinstance(ms, int | float))
            printer.line(f"  worker  · turn {entry.get('turn')}: voice-to-voice {entry.get('voice_to_voice_ms'):.0f} ms"
                         f" (worker spans: {stages})")  # fmt: skip
        elif entry.get("msg") == "tool result" and entry.get("tool") != "create_support_ticket":
            printer.line(f"  tool    ⚙ {entry.get('tool')} → {entry.get('outcome')}")

    stack.webhook.desk.listeners.append(ticket_opened)
    stack.worker_seen.listeners.append(worker_line)


def run_demo(stack: LocalStack, *, script: str = "demo", report_dir: Path = REPORT_DIR) -> DemoResult:
    assert stack.demo is not None and stack.webhook is not None
    printer = TerminalPrinter(stack.console)
    lines = SCRIPTS[script]
    printer.line(f"\nvoicing {len(lines)} caller lines ({'speech-like noise' if stack.plan.fakes else 'Piper'}) …")
    audio = voice_lines(lines, _voice(stack))
    transcriber = _transcriber(stack, printer)
    _live_printing(stack, printer)
    placed = place_call(stack.api_url, stack.twilio_auth_token, to_number=stack.demo.number,
                        from_number=stack.demo.caller_number)  # fmt: skip
    call_id = placed.call_id or placed.call_sid
    printer.line(f"\ncalling {stack.demo.number} from {stack.demo.caller_number}: call {call_id}")
    caller, conversation = asyncio.run(call_and_talk(
        placed, lines, audio, from_number=stack.demo.caller_number, to_number=stack.demo.number,
        listener=printer, transcriber=transcriber,
        reply_timeout_s=90.0 if stack.plan.local_engines else 30.0))  # fmt: skip
    printer.line(f"\ncall over ({'the agent hung up' if conversation.ended_by_agent else 'the caller hung up'}); "
                 "waiting for post-call analysis and the CRM writeback …")  # fmt: skip
    record = _wait_for_post_call(stack, call_id, printer)
    if record is not None:
        printer.recorded_call(record)
    result = _result(stack, call_id, record, report_dir)
    report = build_report(stack, call_id, record, conversation, caller, lines)
    result.report_path = write_report(report, report_dir)
    result.summary_path.write_text(json.dumps(_summary(result, conversation), indent=2, default=str))
    for problem in result.problems:
        printer.line(f"  ! {problem}")
    for warning in result.warnings:
        printer.line(f"  (note) {warning}")
    printer.line(f"\nreport: {result.report_path}")
    return result


def _result(stack: LocalStack, call_id: str, record: dict[str, Any] | None, report_dir: Path) -> DemoResult:
    assert stack.webhook is not None
    tickets = [t.to_json() for t in stack.webhook.desk.tickets if t.call_id == call_id]
    crm = crm_requests(stack)
    problems = []
    if record is None:
        problems.append("the admin API has no record of the call")
    elif record.get("analysis") is None:
        problems.append("post_call did not store an analysis in time")
    if not any(r["route"] == "create_call" and r["status"] == 201 for r in crm):
        problems.append("the CRM did not receive the call")
    warnings = []
    if not tickets:
        missing = ("the agent did not call create_support_ticket (see the transcript: a small offline model "
                   "sometimes answers instead of calling the tool)")  # fmt: skip
        (problems if stack.plan.fakes else warnings).append(missing)
    report_dir.mkdir(parents=True, exist_ok=True)
    return DemoResult(call_id, report_dir / f"call-{call_id}.html", report_dir / f"call-{call_id}.json", record,
                      tickets, crm, problems, warnings)  # fmt: skip


def _summary(result: DemoResult, conversation: Conversation) -> dict[str, Any]:
    turns = [{k: v for k, v in asdict(t).items()} | {"voice_to_voice_ms": t.voice_to_voice_ms}
             for t in conversation.turns]  # fmt: skip
    return {"call_id": result.call_id, "report": str(result.report_path), "problems": result.problems,
            "warnings": result.warnings,
            "tickets": result.tickets, "crm_requests": result.crm_requests, "call_record": result.call_record,
            "caller_turns": turns, "greeting_heard": conversation.greeting_heard}  # fmt: skip
