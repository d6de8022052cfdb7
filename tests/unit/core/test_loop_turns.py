"""The call loop: greeting, caller turns, end of turn, early TTS and resume-before-audio."""

from __future__ import annotations

from dataclasses import replace

from media_worker.core import (
    CallConfig,
    CallLoop,
    FinishSpeech,
    Interrupt,
    LogTransition,
    Phase,
    RecordSpan,
    StartResponse,
    StreamStarted,
    SynthesizeClause,
    Timer,
    TranscriptUpdated,
    Word,
)

from .driver import GREETING, Call, config, of


def user_messages(start: StartResponse) -> list[str]:
    return [m["content"] for m in start.messages if m["role"] == "user"]


def test_greeting_plays_as_soon_as_the_stream_starts() -> None:
    # given a new call, when the stream starts
    call = Call()
    out = call.start()
    # then the first message goes to TTS at once, and the call is greeting
    assert [c.text for c in of(out, SynthesizeClause)] == [GREETING]
    assert of(out, FinishSpeech)
    assert call.state.phase == Phase.GREETING
    assert of(out, LogTransition)[0].to_state == "greeting"


def test_after_the_greeting_plays_the_loop_listens() -> None:
    call = Call()
    call.greet()
    assert call.state.phase == Phase.LISTENING
    assert call.armed(Timer.IDLE) is not None


def test_no_first_message_means_listening_at_once() -> None:
    call = Call(CallConfig(system_prompt="sys", first_message=""))
    out = call.start()
    assert not of(out, SynthesizeClause)
    assert call.state.phase == Phase.LISTENING


def test_a_spoken_turn_starts_a_response_with_the_transcript() -> None:
    # given the greeting has played
    call = Call()
    call.greet()
    # when the caller says a finished sentence and the STT ends the utterance
    call.speech_started()
    call.advance(300)
    call.hear("I need a table")
    call.advance(600)
    out = call.hear("I need a table for two.", final=True, speech_final=True)
    # then the LLM is asked at once with the whole context
    start = of(out, StartResponse)[0]
    assert user_messages(start) == ["I need a table for two."]
    assert start.messages[0] == {"role": "system", "content": "You are a helpful receptionist."}
    assert {"role": "assistant", "content": GREETING} in start.messages
    assert any(t["function"]["name"] == "end_call" for t in start.tools)
    assert call.state.phase == Phase.THINKING


def test_first_clause_goes_to_tts_before_the_llm_stream_finishes() -> None:
    call = Call()
    call.greet()
    call.hear("What are your hours?", final=True, speech_final=True)
    # when only the first sentence has streamed
    out = call.llm("We're open ", "nine to five. ", "On week", done=False)
    # then it is already on its way to TTS, and the rest waits
    assert [c.text for c in of(out, SynthesizeClause)] == ["We're open nine to five. "]
    assert not of(out, FinishSpeech)
    out = call.llm("ends we close early.")
    assert [c.text for c in of(out, SynthesizeClause)] == ["On weekends we close early."]
    assert of(out, FinishSpeech)


def test_finished_sentence_ends_the_turn_without_the_long_hold() -> None:
    call = Call(config(hold_incomplete_ms=3000))
    call.greet()
    out = call.hear("Can I book for Friday?", final=True, speech_final=True)
    assert of(out, StartResponse)
    assert call.armed(Timer.END_OF_TURN) is None


def test_comma_pause_is_not_the_end_of_the_turn() -> None:
    # given the caller pauses 300 ms at a comma and the STT calls it speech_final
    call = Call()
    call.greet()
    out = call.hear("I'd like to book a table,", final=True, speech_final=True)
    # then no reply starts; the turn is held
    assert not of(out, StartResponse)
    assert call.armed(Timer.END_OF_TURN) is not None
    # when the caller goes on and finishes
    call.advance(300)
    call.speech_started()
    call.hear("for two people")
    call.advance(700)
    out = call.hear("for two people tonight.", final=True, speech_final=True)
    # then a single turn holds the whole sentence
    assert user_messages(of(out, StartResponse)[0]) == ["I'd like to book a table, for two people tonight."]


def test_a_number_read_slowly_is_not_cut_off() -> None:
    call = Call(config(hold_incomplete_ms=1500))
    call.greet()
    # when the caller reads digit groups with pauses the STT treats as endpoints
    assert not of(call.hear("my number is 4 1 5,", final=True, speech_final=True), StartResponse)
    assert not of(call.advance(1000), StartResponse)
    call.speech_started()
    assert not of(call.hear("5 5 5", final=True, speech_final=True), StartResponse)
    call.advance(900)
    call.speech_started()
    out = call.hear("1 2 3 4.", final=True, speech_final=True)
    # then the turn ends only once the number is complete
    assert user_messages(of(out, StartResponse)[0]) == ["my number is 4 1 5, 5 5 5 1 2 3 4."]


def test_held_turn_ends_when_the_hold_runs_out() -> None:
    call = Call()
    call.greet()
    call.hear("my name is j a n e", final=True, speech_final=True)
    assert not of(call.advance(1100), StartResponse)
    out = call.advance(100)
    assert user_messages(of(out, StartResponse)[0]) == ["my name is j a n e"]


def test_silence_fallback_ends_the_turn_when_the_stt_never_says_so() -> None:
    call = Call()
    call.greet()
    call.hear("hello is anyone there")
    assert call.armed(Timer.END_OF_TURN) is not None
    assert not of(call.advance(800), StartResponse)
    out = call.advance(100)
    assert user_messages(of(out, StartResponse)[0]) == ["hello is anyone there"]


def test_utterance_end_ends_the_turn() -> None:
    call = Call()
    call.greet()
    call.hear("I want to cancel my booking", final=True)
    out = call.utterance_end()
    assert user_messages(of(out, StartResponse)[0]) == ["I want to cancel my booking"]


def test_resume_before_audio_drops_the_reply_and_continues_the_turn() -> None:
    # given the turn was committed and the LLM already sent text to TTS, but no audio was sent
    call = Call()
    call.greet()
    call.hear("I want to book a table.", final=True, speech_final=True)
    first = call.last_response_id()
    call.llm("Sure! ", done=False)
    # when the caller goes on talking
    call.advance(200)
    call.speech_started()
    out = call.hear("for four people", final=True)
    # then the reply is dropped (not a barge-in: nothing was heard) and the turn reopened
    interrupt = of(out, Interrupt)[0]
    assert interrupt.response_ids == (first,)
    assert interrupt.heard_text == ""
    assert interrupt.reason == "caller_resumed"
    assert call.state.phase == Phase.LISTENING
    # when the caller finishes, one turn with both parts is answered
    out = call.hear("", final=True, speech_final=True) + call.utterance_end()
    start = of(out, StartResponse)[0]
    assert user_messages(start) == ["I want to book a table. for four people"]
    assert not any(m["role"] == "assistant" and m["content"] == "Sure!" for m in start.messages)
    callers = [t for t in call.state.transcript if t.role == "caller"]
    assert [t.text for t in callers] == ["I want to book a table. for four people"]


def test_late_final_for_committed_words_does_not_reopen_the_turn() -> None:
    # given a turn committed from a speech_final result
    call = Call()
    call.greet()
    call.hear("What time is it?", final=True, speech_final=True)
    # when the STT repeats a result for the same words
    words = of_words(call, "What time is it?")
    out = call.feed(TranscriptUpdated(now_ms=call.now, text="What time is it?", is_final=True, words=words))
    # then it is ignored
    assert not of(out, Interrupt)
    assert call.state.phase == Phase.THINKING


def test_spans_follow_a_turn_from_caller_stop_to_playback() -> None:
    call = Call()
    call.greet()
    call.advance(1000)
    call.hear("What are your hours?", final=True, speech_final=True)
    call.advance(300)
    call.llm("Nine to five. ")
    call.advance(100)
    call.speak_through(call.last_response_id(), 1500)
    names = [s.name for s in of(call.log, RecordSpan) if s.turn_index == 1]
    assert names == [
        "caller_stopped_speaking",
        "transcript_final",
        "llm_request_sent",
        "llm_first_token",
        "first_clause_to_tts",
        "first_tts_audio",
        "first_audio_sent",
        "playback_done",
    ]
    spans = {s.name: s.at_ms for s in of(call.log, RecordSpan) if s.turn_index == 1}
    assert spans["first_audio_sent"] - spans["caller_stopped_speaking"] == 400.0


def test_call_loop_wrapper_queues_commands_in_order() -> None:
    loop = CallLoop("call-9", config())
    loop.receive(StreamStarted(now_ms=0.0))
    commands = loop.commands_to_execute()
    assert of(commands, SynthesizeClause)[0].text == GREETING
    assert loop.commands_to_execute() == []
    assert loop.state.phase == Phase.GREETING
    assert not loop.ended


def test_revised_final_for_words_committed_by_the_fallback_is_ignored() -> None:
    # given a turn committed by the silence fallback from an interim result
    call = Call()
    call.greet()
    call.hear("what time do you close")
    call.advance(900)
    assert call.state.phase == Phase.THINKING
    # when the STT's final for the same audio arrives with slightly shifted word times
    words = tuple(replace(w, end_s=w.end_s + 0.03) for w in of_words(call, "what time do you close"))
    out = call.feed(TranscriptUpdated(now_ms=call.now, text="What time do you close?", is_final=True, words=words))
    # then the reply is not dropped
    assert not of(out, Interrupt)
    assert call.state.phase == Phase.THINKING


def test_result_overlapping_committed_words_keeps_only_the_new_ones() -> None:
    call = Call()
    call.greet()
    call.hear("I want to book", final=True)
    call.advance(900)
    committed = list(of_words(call, "I want to book"))
    call.advance(500)
    new = [Word("tonight", call.stt_s - 0.3, call.stt_s)]
    call.feed(TranscriptUpdated(now_ms=call.now, text="book tonight", is_final=True, words=(committed[-1], *new)))
    assert call.state.caller.text.endswith("tonight")
    assert "book" not in call.state.caller.text.split()[-1:]


def of_words(call: Call, text: str) -> tuple[Word, ...]:
    """The word timings the driver gave ``text`` when it was heard (the last hearing of it)."""
    for event_words, event_text in reversed(call.heard):
        if event_text == text:
            return event_words
    raise AssertionError(f"{text!r} was never heard")
