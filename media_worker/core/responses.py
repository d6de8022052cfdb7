"""LLM stream facts: text to clauses to TTS, tool requests, completion and failure."""

from __future__ import annotations

from dataclasses import replace

from . import clauses
from .context import ToolCall
from .effects import Out, Span, arm_idle, record_span, transition
from .events import LlmFailed, LlmResponseCompleted, LlmTextReceived, LlmToolCallRequested
from .replies import speak
from .speech import finish
from .state import CallState, Phase, Response, SpeechKind
from .tools import begin_round


def _current(s: CallState, response_id: str) -> Response | None:
    r = s.response
    return r if r is not None and r.response_id == response_id else None


def on_llm_text(s: CallState, out: Out, e: LlmTextReceived) -> CallState:
    r = _current(s, e.response_id)
    if r is None:
        return s  # a cancelled response still streaming
    s = record_span(s, out, Span.LLM_FIRST_TOKEN, e.now_ms, turn_index=r.turn_index, response_id=r.response_id)
    splitter, ready = clauses.push(r.splitter, e.text)
    s = replace(s, response=replace(r, splitter=splitter, text=r.text + e.text))
    for clause in ready:
        s = speak(s, out, r.response_id, SpeechKind.REPLY, clause, e.now_ms, r.turn_index)
    return s


def on_tool_call(s: CallState, e: LlmToolCallRequested) -> CallState:
    r = _current(s, e.response_id)
    if r is None:
        return s
    call = ToolCall(id=e.tool_call_id, name=e.name, arguments_json=e.arguments_json)
    return replace(s, response=replace(r, tool_calls=(*r.tool_calls, call)))


def on_llm_completed(s: CallState, out: Out, e: LlmResponseCompleted) -> CallState:
    r = _current(s, e.response_id)
    usage = replace(
        s.usage,
        llm_input_tokens=s.usage.llm_input_tokens + max(0, e.input_tokens),
        llm_output_tokens=s.usage.llm_output_tokens + max(0, e.output_tokens),
    )
    s = replace(s, usage=usage)
    if r is None:
        return s
    splitter, rest = clauses.flush(r.splitter)
    r = replace(r, splitter=splitter, completed=True)
    s = replace(s, response=None)
    for clause in rest:
        s = speak(s, out, r.response_id, SpeechKind.REPLY, clause, e.now_ms, r.turn_index)
    if r.tool_calls:
        s = begin_round(s, out, r, e.now_ms)
    if s.speech(r.response_id) is not None:
        return finish(s, out, r.response_id, e.now_ms)
    if s.phase == Phase.THINKING and not s.speeches:
        s = transition(s, out, Phase.LISTENING, e.now_ms, "empty_reply")
        return arm_idle(s, out)
    return s


def on_llm_failed(s: CallState, out: Out, e: LlmFailed) -> CallState:
    """Say a short apology instead of leaving dead air; the caller can then try again."""
    r = _current(s, e.response_id)
    if r is None:
        return s
    s = replace(s, response=None)
    spoken = s.speech(r.response_id) is not None
    kind = SpeechKind.REPLY if spoken else SpeechKind.APOLOGY
    text = (" " if spoken else "") + s.config.phrases.apology  # after whatever part of the reply was spoken
    s = speak(s, out, r.response_id, kind, text, e.now_ms, r.turn_index)
    return finish(s, out, r.response_id, e.now_ms)
