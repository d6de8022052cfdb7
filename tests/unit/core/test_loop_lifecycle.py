"""DTMF, provider errors, idling, time limits, hang-ups and the call's record."""

from __future__ import annotations

from media_worker.core import (
    CancelResponse,
    CarrierStreamStopped,
    DtmfReceived,
    EndCall,
    FinishSpeech,
    HangupRequested,
    Interrupt,
    LlmFailed,
    LogTransition,
    Phase,
    PlayFallbackApology,
    SendMark,
    StartResponse,
    SynthesizeClause,
    Timer,
    TimerFired,
    TtsFailed,
    call_usage,
    transcript_turns,
)

from .driver import GREETING, Call, config, of

APOLOGY = "I'm sorry, I'm having trouble right now. Could you say that again?"


def listening_call(**policy: float) -> Call:
    call = Call(config(**policy))
    call.greet()
    return call


def press(call: Call, digits: str) -> list[object]:
    out: list[object] = []
    for digit in digits:
        out += call.feed(DtmfReceived(now_ms=call.now, digit=digit))
        call.advance(200)
    return out


# -- DTMF --------------------------------------------------------------------


def test_dtmf_reaches_the_llm_as_text_when_hash_is_pressed() -> None:
    call = listening_call()
    out = press(call, "12#")
    start = of(out, StartResponse)[0]  # type: ignore[arg-type]
    assert start.messages[-1] == {"role": "user", "content": "[DTMF] 1 2 #"}
    assert call.state.dtmf_log == ("1", "2", "#")


def test_dtmf_without_hash_is_sent_after_a_pause() -> None:
    call = listening_call(dtmf_flush_ms=1500)
    press(call, "4")
    assert not of(call.log, StartResponse)
    out = call.advance(1500)
    assert of(out, StartResponse)[0].messages[-1]["content"] == "[DTMF] 4"


def test_dtmf_while_the_agent_speaks_interrupts_it() -> None:
    call = listening_call()
    call.hear("menu please", final=True, speech_final=True)
    call.llm("Press 1 for sales or 2 for support. ")
    call.synthesize(call.last_response_id(), 3000)
    call.advance(500)
    out = call.feed(DtmfReceived(now_ms=call.now, digit="1")) + call.feed(DtmfReceived(now_ms=call.now, digit="#"))
    assert of(out, Interrupt)[0].reason == "dtmf"
    assert of(out, StartResponse)[0].messages[-1]["content"] == "[DTMF] 1 #"


def test_invalid_dtmf_digit_is_ignored() -> None:
    call = listening_call()
    assert call.feed(DtmfReceived(now_ms=call.now, digit="x")) == []


# -- provider errors ---------------------------------------------------------


def test_llm_failure_gives_a_spoken_apology_and_returns_to_listening() -> None:
    call = listening_call()
    call.hear("What are your hours?", final=True, speech_final=True)
    rid = call.last_response_id()
    out = call.feed(LlmFailed(now_ms=call.now, response_id=rid, reason="upstream 500"))
    assert [c.text for c in of(out, SynthesizeClause)] == [APOLOGY]
    assert of(out, FinishSpeech)
    call.speak_through(rid, 2000)
    assert call.state.phase == Phase.LISTENING


def test_llm_failure_mid_reply_appends_the_apology_to_what_was_said() -> None:
    call = listening_call()
    call.hear("What are your hours?", final=True, speech_final=True)
    rid = call.last_response_id()
    call.llm("We are open from nine. ", "And on", done=False)
    out = call.feed(LlmFailed(now_ms=call.now, response_id=rid, reason="stream reset"))
    assert [c.text for c in of(out, SynthesizeClause)] == [" " + APOLOGY]
    assert call.synthesized_text(rid) == "We are open from nine.  " + APOLOGY


def test_tts_failure_plays_the_fallback_clip_instead_of_dead_air() -> None:
    call = listening_call()
    call.hear("What are your hours?", final=True, speech_final=True)
    rid = call.last_response_id()
    call.llm("We are open from nine to five. ")
    out = call.feed(TtsFailed(now_ms=call.now, response_id=rid, reason="socket closed"))
    clip = of(out, PlayFallbackApology)[0]
    assert [c.response_id for c in of(out, CancelResponse)] == [rid]
    assert of(out, SendMark)[-1].name == f"{clip.response_id}@end"
    # when the clip has played, the caller has the floor again
    call.play_marks()
    assert call.state.phase == Phase.LISTENING


def test_failure_of_a_stale_response_is_ignored() -> None:
    call = listening_call()
    assert call.feed(LlmFailed(now_ms=call.now, response_id="r99", reason="x")) == []
    assert call.feed(TtsFailed(now_ms=call.now, response_id="r99", reason="x")) == []


# -- idling and limits -------------------------------------------------------


def test_idle_prompt_then_hang_up() -> None:
    call = listening_call(idle_prompt_after_ms=8000, idle_hangup_after_ms=20000)
    assert not of(call.advance(7999), SynthesizeClause)
    out = call.advance(1)
    prompt = of(out, SynthesizeClause)[0]
    assert prompt.text == "Are you still there?"
    call.speak_through(prompt.response_id, 1000)
    assert not of(call.advance(11_999), EndCall)
    out = call.advance(1)
    assert of(out, EndCall)[0].reason == "idle_timeout"
    assert call.state.phase == Phase.ENDED


def test_caller_activity_resets_the_idle_countdown() -> None:
    call = listening_call(idle_prompt_after_ms=8000)
    call.advance(6000)
    call.speech_started()  # noise, no words
    assert not of(call.advance(7000), SynthesizeClause)
    assert of(call.advance(1000), SynthesizeClause)


def test_max_duration_says_goodbye_and_ends() -> None:
    call = listening_call(max_duration_ms=60_000)
    call.hear("tell me a long story", final=True, speech_final=True)
    call.llm("Once upon a time. ")
    rid = call.last_response_id()
    call.synthesize(rid, 120_000)
    out = call.advance(60_000 - (call.now - 10_000))
    assert of(out, Interrupt)[0].reason == "max_duration"
    goodbye = next(c for c in of(out, SynthesizeClause) if c.response_id != rid)
    assert "time limit" in goodbye.text
    out = call.speak_through(goodbye.response_id, 2000)
    assert of(out, EndCall)[0].reason == "max_duration"


def test_stale_timer_generation_is_ignored() -> None:
    call = listening_call()
    call.hear("hello there")
    stale = call.state.timers[Timer.END_OF_TURN]
    call.hear("hello there friend")
    assert call.feed(TimerFired(now_ms=call.now, name=Timer.END_OF_TURN, generation=stale)) == []


# -- the end -----------------------------------------------------------------


def test_caller_hang_up_ends_the_call_and_keeps_a_full_record() -> None:
    call = listening_call()
    call.advance(1000)
    call.hear("What are your hours?", final=True, speech_final=True)
    rid = call.last_response_id()
    call.llm("We are open nine to five on weekdays. ")
    call.synthesize(rid, 3000)
    call.advance(1000)
    call.play_marks(until_ms=1000)
    out = call.feed(CarrierStreamStopped(now_ms=call.now))
    assert of(out, EndCall)[0].reason == "caller_hung_up"
    assert of(out, LogTransition)[-1].to_state == "ended"
    turns = transcript_turns(call.state)
    assert [t.role for t in turns] == ["assistant", "caller", "assistant"]
    assert turns[0].text == GREETING and not turns[0].interrupted
    assert turns[1].text == "What are your hours?"
    assert turns[2].interrupted and turns[2].heard_text
    assert all(t.end_ms >= t.start_ms >= 0 for t in turns)
    usage = call_usage(call.state)
    assert usage.llm_input_tokens == 100 and usage.llm_output_tokens == 20
    assert usage.tts_characters == len(GREETING) + len("We are open nine to five on weekdays.")
    assert usage.call_seconds == (call.now - 10_000) / 1000


def test_nothing_happens_after_the_end() -> None:
    call = listening_call()
    call.feed(HangupRequested(now_ms=call.now, reason="worker_draining"))
    assert call.state.end_reason == "worker_draining"
    assert call.hear("hello?", final=True, speech_final=True) == []
    assert call.feed(CarrierStreamStopped(now_ms=call.now)) == []


def test_unfinished_caller_words_are_kept_when_the_caller_hangs_up() -> None:
    call = listening_call()
    call.hear("actually never mind")
    call.feed(CarrierStreamStopped(now_ms=call.now))
    assert transcript_turns(call.state)[-1].text == "actually never mind"


def test_empty_reply_hands_the_floor_back() -> None:
    call = listening_call()
    call.hear("hmm let me think.", final=True, speech_final=True)
    out = call.llm()
    assert not of(out, SynthesizeClause)
    assert call.state.phase == Phase.LISTENING
    assert call.armed(Timer.IDLE) is not None


def test_whitespace_only_reply_never_reaches_tts_and_still_completes() -> None:
    call = listening_call()
    call.hear("hello.", final=True, speech_final=True)
    rid = call.last_response_id()
    out = call.llm("  ")
    assert not of(out, SynthesizeClause) and not of(out, FinishSpeech)
    assert of(out, SendMark)[-1].name == f"{rid}@end"
    call.play_marks()
    assert call.state.phase == Phase.LISTENING
