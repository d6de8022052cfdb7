"""Starting an LLM response and speaking its text."""

from __future__ import annotations

from dataclasses import replace

from .clauses import ClauseSplitter
from .commands import StartResponse
from .effects import Out, Span, next_response_id, record_span, transition
from .speech import say, start_speech
from .state import CallState, Phase, Response, SpeechKind


def start_response(s: CallState, out: Out, now_ms: float, *, resumable: bool, cause: str) -> CallState:
    """Ask the LLM for the next assistant turn, with the whole context."""
    s, response_id = next_response_id(s)
    splitter = ClauseSplitter(first_clause_min_words=s.config.policy.first_clause_min_words)
    response = Response(response_id=response_id, turn_index=s.turn_index, splitter=splitter)
    out.append(StartResponse(response_id=response_id, messages=s.context.to_openai(), tools=s.config.openai_tools()))
    s = replace(s, response=response, fold_on_resume=resumable)
    s = record_span(s, out, Span.LLM_REQUEST_SENT, now_ms, response_id=response_id)
    return transition(s, out, Phase.THINKING, now_ms, cause)


def speak(
    s: CallState, out: Out, response_id: str, kind: SpeechKind, text: str, now_ms: float, turn_index: int
) -> CallState:
    """Say ``text`` as part of the speech ``response_id``, creating the speech on first use."""
    if s.speech(response_id) is None:
        s = start_speech(s, response_id, kind, now_ms, turn_index=turn_index)
    return say(s, out, response_id, text, now_ms)
