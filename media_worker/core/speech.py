"""The outbound speech queue: text to TTS, audio bookkeeping, marks, and what was heard.

Speeches play in order. Only the first speech whose TTS has not finished may
synthesise; a later one holds its text until then, so the runtime never
interleaves two responses' audio on the outbound lane.
"""

from __future__ import annotations

from dataclasses import replace

from .commands import FinishSpeech, SendMark, SynthesizeClause
from .effects import Out, Span, offset_ms, record_span, transition
from .events import AudioFramesSent, TtsAudioReceived, TtsFinished, TtsWordsTimed
from .heard import end_mark_name, heard_text, mark_name, playback_position_ms
from .state import IN_CONTEXT_KINDS, CallState, Phase, Speech, SpeechKind, TurnRecord


def start_speech(s: CallState, response_id: str, kind: SpeechKind, now_ms: float, *, turn_index: int) -> CallState:
    """Queue a new, empty speech; it may synthesise at once if nothing before it still is."""
    released = all(sp.tts_done for sp in s.speeches)
    speech = Speech(response_id=response_id, kind=kind, created_at_ms=now_ms, turn_index=turn_index, released=released)
    return replace(s, speeches=(*s.speeches, speech))


def say(s: CallState, out: Out, response_id: str, text: str, now_ms: float) -> CallState:
    """Add text to a speech: send it to the TTS now, or hold it until the speech is released."""
    speech = s.speech(response_id)
    if speech is None or not text:
        return s
    if not speech.released:
        return _put(s, replace(speech, held=(*speech.held, text)))
    s = _put(s, replace(speech, segments=(*speech.segments, text)))
    if not text.strip():
        return s
    out.append(SynthesizeClause(response_id=response_id, text=text))
    s = replace(s, usage=replace(s.usage, tts_characters=s.usage.tts_characters + len(text.strip())))
    return record_span(s, out, Span.FIRST_CLAUSE_TO_TTS, now_ms, turn_index=speech.turn_index, response_id=response_id)


def finish(s: CallState, out: Out, response_id: str, now_ms: float) -> CallState:
    """No more text for this speech."""
    speech = s.speech(response_id)
    if speech is None or speech.finish_sent:
        return s
    if not speech.released:
        return _put(s, replace(speech, finish_requested=True))
    if not speech.text:
        # nothing was ever sent to the TTS: there is no context to flush, so end it here
        out.append(SendMark(name=end_mark_name(response_id)))
        s = _put(s, replace(speech, finish_requested=True, finish_sent=True, tts_done=True))
        return _release_next(s, out, now_ms)
    out.append(FinishSpeech(response_id=response_id))
    return _put(s, replace(speech, finish_requested=True, finish_sent=True))


def on_tts_audio(s: CallState, out: Out, e: TtsAudioReceived) -> CallState:
    speech = s.speech(e.response_id)
    if speech is None:
        return s
    audio_ms = speech.audio_ms + max(0.0, e.duration_ms)
    last_mark = speech.sent_marks_ms[-1] if speech.sent_marks_ms else 0.0
    marks = speech.sent_marks_ms
    if audio_ms - last_mark >= s.config.policy.mark_interval_ms:
        out.append(SendMark(name=mark_name(e.response_id, audio_ms)))
        marks = (*marks, float(round(audio_ms)))
    s = _put(s, replace(speech, audio_ms=audio_ms, sent_marks_ms=marks))
    return record_span(s, out, Span.FIRST_TTS_AUDIO, e.now_ms, turn_index=speech.turn_index, response_id=e.response_id)


def on_tts_words(s: CallState, e: TtsWordsTimed) -> CallState:
    speech = s.speech(e.response_id)
    if speech is None:
        return s
    return _put(s, replace(speech, words=(*speech.words, *e.words)))


def on_tts_finished(s: CallState, out: Out, e: TtsFinished) -> CallState:
    """All audio of a speech is on the lane: mark its end and release the next speech."""
    speech = s.speech(e.response_id)
    if speech is None or speech.tts_done or not speech.finish_sent:
        return s  # unknown, repeated, or before FinishSpeech (more text may still come)
    out.append(SendMark(name=end_mark_name(e.response_id)))
    s = _put(s, replace(speech, tts_done=True))
    return _release_next(s, out, e.now_ms)


def on_frames_sent(s: CallState, out: Out, e: AudioFramesSent) -> CallState:
    speech = s.speech(e.response_id)
    if speech is None or speech.audible:
        return s
    s = _put(s, replace(speech, first_sent_at_ms=e.now_ms))
    s = replace(s, fold_on_resume=False)  # the caller may have heard it: no longer a silent resume
    s = record_span(s, out, Span.FIRST_AUDIO_SENT, e.now_ms, turn_index=speech.turn_index, response_id=e.response_id)
    if s.phase == Phase.THINKING:
        s = transition(s, out, Phase.SPEAKING, e.now_ms, "first_audio_sent")
    return s


def on_offset_mark(s: CallState, response_id: str, offset: float, now_ms: float) -> CallState:
    speech = s.speech(response_id)
    if speech is None or offset <= speech.echoed_ms:
        return s
    return _put(s, replace(speech, echoed_ms=offset, echoed_at_ms=now_ms))


def complete_speech(s: CallState, out: Out, response_id: str, now_ms: float) -> CallState:
    """A speech played to its end: record it whole and drop it from the queue."""
    speech = s.speech(response_id)
    if speech is None:
        return s
    s = _record(s, speech, now_ms, heard=speech.text, interrupted=False)
    s = record_span(s, out, Span.PLAYBACK_DONE, now_ms, turn_index=speech.turn_index, response_id=response_id)
    s = replace(s, speeches=tuple(sp for sp in s.speeches if sp.response_id != response_id))
    return _release_next(s, out, now_ms)


def cut_all(s: CallState, out: Out, now_ms: float, *, record: bool = True) -> tuple[CallState, tuple[str, ...], str]:
    """Stop every queued speech at the current playback position.

    Returns the new state, the response ids cut, and the text the caller heard
    of the speech that was playing. The transcript and context keep only the
    heard text. With ``record=False`` (a reply dropped before any of it was
    audible) nothing is recorded at all.
    """
    ids = tuple(sp.response_id for sp in s.speeches)
    heard_total: list[str] = []
    for speech in s.speeches:
        heard = speech_heard_text(speech, now_ms)
        if record:
            s = _record(s, speech, now_ms, heard=heard, interrupted=True)
        if speech.audible:
            s = record_span(
                s, out, Span.INTERRUPTED, now_ms, turn_index=speech.turn_index, response_id=speech.response_id
            )
        if heard:
            heard_total.append(heard)
    return replace(s, speeches=()), ids, " ".join(heard_total)


def speech_heard_text(speech: Speech, now_ms: float) -> str:
    position = playback_position_ms(
        now_ms=now_ms,
        echoed_ms=speech.echoed_ms,
        echoed_at_ms=speech.echoed_at_ms,
        first_sent_at_ms=speech.first_sent_at_ms,
        sent_marks_ms=speech.sent_marks_ms,
        audio_ms=speech.audio_ms,
    )
    return heard_text(
        speech.text, heard_ms=position, audio_ms=speech.audio_ms, tts_done=speech.tts_done, words=speech.words
    )


def _record(s: CallState, speech: Speech, now_ms: float, *, heard: str, interrupted: bool) -> CallState:
    if speech.kind in IN_CONTEXT_KINDS:
        s = replace(s, context=s.context.with_assistant(speech.response_id, heard))
    tools = s.pending_tool_records if speech.kind == SpeechKind.REPLY else ()
    if not speech.text and not tools:
        return s
    start = speech.first_sent_at_ms if speech.first_sent_at_ms is not None else speech.created_at_ms
    record = TurnRecord(
        role="assistant",
        text=speech.text,
        start_ms=offset_ms(s, start),
        end_ms=offset_ms(s, now_ms),
        interrupted=interrupted,
        heard_text=heard,
        tool_calls=tools,
    )
    s = replace(s, transcript=(*s.transcript, record))
    return replace(s, pending_tool_records=()) if tools else s


def _release_next(s: CallState, out: Out, now_ms: float) -> CallState:
    """Let the first held speech synthesise once every speech before it has all its audio."""
    for speech in s.speeches:
        if speech.released and speech.tts_done:
            continue
        if speech.released:
            return s  # still synthesising
        s = _put(s, replace(speech, released=True, held=()))
        for text in speech.held:
            s = say(s, out, speech.response_id, text, now_ms)
        if speech.finish_requested:
            s = finish(s, out, speech.response_id, now_ms)
        return s
    return s


def _put(s: CallState, speech: Speech) -> CallState:
    return replace(s, speeches=tuple(speech if sp.response_id == speech.response_id else sp for sp in s.speeches))
