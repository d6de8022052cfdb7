"""Tool calls: webhook tools, the built-in ``end_call`` and ``transfer_call``, and the filler phrase.

All tool calls of one LLM response form a round and run in parallel. When
every result is in, the LLM is asked again with the results in the context.
If results are slow (past the smallest ``slow_after_ms`` of the round) and
nothing is playing, the agent says a filler phrase. If the caller speaks
during the round, the round is kept: results still land in the context
(right after the assistant message that asked for them) and the reply comes
after the caller's turn.
"""

from __future__ import annotations

import json
from dataclasses import replace

from .commands import InvokeTool
from .config import END_CALL_TOOL, TRANSFER_CALL_TOOL
from .context import ToolCall
from .effects import Out, Timer, arm_timer, cancel_timer, consume_timer, next_response_id, timer_is_current, transition
from .events import ToolOutcome, ToolResultReceived
from .replies import speak, start_response
from .speech import finish
from .state import CallState, Ending, PendingTool, Phase, Response, SpeechKind, ToolCallRecord, ToolRound

BUILT_IN = frozenset({END_CALL_TOOL, TRANSFER_CALL_TOOL})


def begin_round(s: CallState, out: Out, r: Response, now_ms: float) -> CallState:
    """The LLM finished asking for tools: record the request, start every call, handle built-ins."""
    s = replace(s, fold_on_resume=False)  # tools may have side effects: the turn is answered
    s = replace(s, context=s.context.with_assistant(r.response_id, r.text.strip(), r.tool_calls))
    pending: list[PendingTool] = []
    for call in r.tool_calls:
        if call.name in BUILT_IN:
            s, settled = _built_in(s, out, r, call, now_ms)
            if settled is not None:
                pending.append(settled)
            continue
        spec = s.config.tool(call.name)
        if spec is None:
            result = json.dumps({"error": f"unknown tool {call.name!r}"})
            pending.append(_settled(call, now_ms, result, "blocked"))
            continue
        out.append(
            InvokeTool(
                tool_call_id=call.id, name=call.name, arguments_json=call.arguments_json, timeout_ms=spec.timeout_ms
            )
        )
        pending.append(PendingTool(call=call, started_at_ms=now_ms))
    if s.ending is not None:
        return s  # the call ends after the goodbye; results no longer matter
    tool_round = ToolRound(response_id=r.response_id, turn_index=r.turn_index, tools=tuple(pending))
    for settled in (p for p in pending if p.outcome is not None):
        s = replace(s, context=s.context.with_tool_result(settled.call.id, settled.result_json or "{}"))
    s = replace(s, tool_round=tool_round)
    s = transition(s, out, Phase.TOOL, now_ms, "tool_call")
    if tool_round.complete:
        return _complete(s, out, now_ms)
    slow = [spec.slow_after_ms for p in pending if p.outcome is None and (spec := s.config.tool(p.call.name))]
    return arm_timer(s, out, Timer.TOOL_SLOW, float(min(slow))) if slow else s


def on_tool_result(s: CallState, out: Out, e: ToolResultReceived) -> CallState:
    tool_round = s.tool_round
    if tool_round is None:
        return s
    match = next((p for p in tool_round.tools if p.call.id == e.tool_call_id and p.outcome is None), None)
    if match is None:
        return s
    done = replace(match, result_json=e.result_json, outcome=e.outcome, finished_at_ms=e.now_ms)
    tools = tuple(done if p is match else p for p in tool_round.tools)
    s = replace(s, tool_round=replace(tool_round, tools=tools))
    s = replace(s, context=s.context.with_tool_result(e.tool_call_id, e.result_json))
    if not s.tool_round or not s.tool_round.complete:
        return s
    return _complete(s, out, e.now_ms)


def on_slow_timer(s: CallState, out: Out, now_ms: float, generation: int) -> CallState:
    """Results are slow: say the filler phrase, unless something is already playing."""
    if not timer_is_current(s, Timer.TOOL_SLOW, generation):
        return s
    s = consume_timer(s, Timer.TOOL_SLOW)
    tool_round = s.tool_round
    if tool_round is None or tool_round.filler_spoken or s.speeches or s.phase != Phase.TOOL:
        return s
    phrases = [spec.filler_phrase for p in tool_round.tools if (spec := s.config.tool(p.call.name))]
    phrase = next((p for p in phrases if p), s.config.phrases.tool_filler)
    s, response_id = next_response_id(s)
    s = speak(s, out, response_id, SpeechKind.FILLER, phrase, now_ms, tool_round.turn_index)
    s = finish(s, out, response_id, now_ms)
    return replace(s, tool_round=replace(tool_round, filler_spoken=True))


def _complete(s: CallState, out: Out, now_ms: float) -> CallState:
    """Every result is in: keep the summaries, and answer now unless the caller has the floor."""
    tool_round = s.tool_round
    if tool_round is None:
        return s
    records = tuple(
        ToolCallRecord(
            tool_call_id=p.call.id,
            name=p.call.name,
            outcome=p.outcome or "error",
            latency_ms=max(0.0, (p.finished_at_ms or now_ms) - p.started_at_ms),
        )
        for p in tool_round.tools
    )
    s = replace(s, tool_round=None, pending_tool_records=(*s.pending_tool_records, *records))
    s = cancel_timer(s, out, Timer.TOOL_SLOW)
    if s.phase != Phase.TOOL:
        return s  # the caller is talking; the reply follows their turn
    return start_response(s, out, now_ms, resumable=False, cause="tool_results")


def _built_in(
    s: CallState, out: Out, r: Response, call: ToolCall, now_ms: float
) -> tuple[CallState, PendingTool | None]:
    """Handle ``end_call``/``transfer_call``; a refused transfer comes back as a settled error result."""
    phrases = s.config.phrases
    if call.name == END_CALL_TOOL:
        ending = Ending(reason="assistant_ended")
        phrase = phrases.goodbye
    else:
        destination = _destination(call.arguments_json)
        if destination is None or destination not in s.config.transfer_destinations:
            allowed = list(s.config.transfer_destinations)
            result = json.dumps({"error": "destination must be one of the allowed numbers", "allowed": allowed})
            return s, _settled(call, now_ms, result, "invalid_arguments")
        ending = Ending(reason="transferred", transfer_to=destination)
        phrase = phrases.transfer_announcement
    if s.ending is not None:
        return s, None
    s = replace(s, ending=ending, context=s.context.with_tool_result(call.id, json.dumps({"ok": True})))
    if not r.text.strip():
        s = speak(s, out, r.response_id, SpeechKind.GOODBYE, phrase, now_ms, r.turn_index)
    return arm_timer(s, out, Timer.END_GRACE, s.config.policy.end_grace_ms), None


def _destination(arguments_json: str) -> str | None:
    try:
        arguments = json.loads(arguments_json or "{}")
    except ValueError:
        return None
    value = arguments.get("destination") if isinstance(arguments, dict) else None
    return value if isinstance(value, str) else None


def _settled(call: ToolCall, now_ms: float, result_json: str, outcome: ToolOutcome) -> PendingTool:
    return PendingTool(call=call, started_at_ms=now_ms, result_json=result_json, outcome=outcome, finished_at_ms=now_ms)
