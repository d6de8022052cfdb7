"""Barge-in: one Interrupt that clears and cancels, context cut to what was heard; false interruptions resume."""

from __future__ import annotations

from media_worker.core import (
    Interrupt,
    Phase,
    RecordSpan,
    SendMark,
    StartResponse,
    SynthesizeClause,
    TimedWord,
    Timer,
    TtsWordsTimed,
    transcript_turns,
)

from .driver import Call, config, of

REPLY = "Our opening hours are nine to five on weekdays. On Saturdays we open at ten."


def speaking_call(**policy: float) -> tuple[Call, str]:
    """A call whose reply is playing: 5 s of audio queued, 1 s of it confirmed played."""
    call = Call(config(**policy))
    call.greet()
    call.hear("What are your hours?", final=True, speech_final=True)
    rid = call.last_response_id()
    call.llm(REPLY)
    call.synthesize(rid, 5000)
    call.advance(1000)
    call.play_marks(until_ms=1000)
    assert call.state.phase == Phase.SPEAKING
    return call, rid


def assistant_messages(call: Call) -> list[str]:
    return [m.content or "" for m in call.state.context.messages if m.role == "assistant"]


def test_barge_in_sends_one_interrupt_and_cuts_the_context_to_what_was_heard() -> None:
    call, rid = speaking_call()
    # when the caller talks over the agent with real words, for long enough
    call.speech_started()
    call.advance(300)
    out = call.hear("sorry what about Sunday")
    # then one Interrupt clears playback and cancels LLM and TTS for the reply
    interrupts = of(out, Interrupt)
    assert len(interrupts) == 1
    assert interrupts[0].response_ids == (rid,)
    assert interrupts[0].reason == "barge_in"
    heard = interrupts[0].heard_text
    assert heard and REPLY.startswith(heard) and len(heard) < len(REPLY) / 2
    # and the context holds only what the caller heard
    assert assistant_messages(call)[-1] == heard
    assert call.state.phase == Phase.LISTENING
    assert any(s.name == "interrupted" for s in of(out, RecordSpan))


def test_after_a_barge_in_the_caller_turn_is_answered_with_the_truncated_context() -> None:
    call, _ = speaking_call()
    call.speech_started()
    call.advance(300)
    call.hear("sorry what about Sunday")
    call.advance(500)
    out = call.hear("sorry what about Sunday?", final=True, speech_final=True)
    start = of(out, StartResponse)[0]
    assert start.messages[-1] == {"role": "user", "content": "sorry what about Sunday?"}
    assert start.messages[-2]["role"] == "assistant"
    assert start.messages[-2]["content"] != REPLY


def test_marks_echoed_after_the_interrupt_are_ignored() -> None:
    # given a barge-in, when the carrier echoes the marks that clear dropped
    call, _ = speaking_call()
    call.speech_started()
    call.advance(300)
    call.hear("stop please")
    before = assistant_messages(call)
    out = call.play_marks()
    # then nothing changes: no playback_done, context untouched
    assert not any(s.name == "playback_done" for s in of(out, RecordSpan))
    assert assistant_messages(call) == before


def test_word_timestamps_make_heard_text_exact() -> None:
    call, rid = speaking_call()
    words = (TimedWord("Our", 300), TimedWord("opening", 700), TimedWord("hours", 1100), TimedWord("are", 1300))
    call.feed(TtsWordsTimed(now_ms=call.now, response_id=rid, words=words))
    # when the caller interrupts 250 ms after the 1000 ms mark echoed (playback at ~1200 ms)
    call.speech_started()
    call.feed_barge_in_words("wait wait")
    # then exactly the words that ended by then were heard
    assert of(call.log, Interrupt)[-1].heard_text == "Our opening hours"


def test_speech_onset_alone_does_not_interrupt() -> None:
    call, _ = speaking_call()
    out = call.speech_started()
    assert not of(out, Interrupt)
    assert call.state.phase == Phase.SPEAKING


def test_false_interruption_lets_the_agent_finish() -> None:
    # given noise: voice activity, then an empty final transcript
    call, _rid = speaking_call()
    call.speech_started()
    call.advance(400)
    out = call.hear("", final=True, speech_final=True) + call.utterance_end()
    assert not of(out, Interrupt)
    # when the rest of the reply plays
    call.advance(4000)
    out = call.play_marks()
    # then it completes normally and is recorded whole
    assert any(s.name == "playback_done" for s in of(out, RecordSpan))
    assert assistant_messages(call)[-1] == REPLY
    assert call.state.phase == Phase.LISTENING


def test_backchannel_words_do_not_interrupt_and_are_dropped() -> None:
    call, _ = speaking_call()
    call.speech_started()
    call.advance(400)
    out = call.hear("mm-hmm okay", final=True, speech_final=True)
    assert not of(out, Interrupt)
    assert call.state.caller.is_empty


def test_min_words_threshold() -> None:
    call, _ = speaking_call(barge_in_min_words=3)
    call.speech_started()
    call.advance(400)
    assert not of(call.hear("wait no"), Interrupt)
    assert of(call.hear("wait no stop"), Interrupt)


def test_short_word_interrupts_once_the_minimum_duration_has_passed() -> None:
    # given the word arrives only 100 ms after onset (min 250 ms)
    call, _ = speaking_call(barge_in_min_ms=250)
    call.speech_started()
    call.advance(100)
    out = call.hear("stop")
    assert not of(out, Interrupt)
    assert call.armed(Timer.BARGE_IN) is not None
    # when the minimum duration is reached, then it interrupts
    out = call.advance(150)
    assert of(out, Interrupt)


def test_duration_only_barge_in_when_min_words_is_zero() -> None:
    call, _ = speaking_call(barge_in_min_words=0, barge_in_min_ms=300)
    assert not of(call.speech_started(), Interrupt)
    out = call.advance(300)
    assert of(out, Interrupt)


def test_barge_in_during_the_greeting() -> None:
    call = Call()
    out = call.start()
    rid = of(out, SynthesizeClause)[0].response_id
    call.synthesize(rid, 3000)
    call.advance(500)
    call.play_marks(until_ms=400)
    call.speech_started()
    call.advance(300)
    out = call.hear("hi I need help")
    assert of(out, Interrupt)[0].response_ids == (rid,)
    assert call.state.phase == Phase.LISTENING


def test_interrupted_turn_in_the_transcript_has_the_flag_and_heard_text() -> None:
    call, _ = speaking_call()
    call.speech_started()
    call.advance(300)
    call.hear("hold on")
    turns = transcript_turns(call.state)
    assistant = [t for t in turns if t.role == "assistant"][-1]
    assert assistant.interrupted
    assert assistant.text == REPLY
    assert assistant.heard_text and REPLY.startswith(assistant.heard_text)


def test_marks_are_placed_about_every_interval_of_audio() -> None:
    call, rid = speaking_call()
    names = [m.name for m in of(call.log, SendMark) if m.name.startswith(rid + "@")]
    assert names[:3] == [f"{rid}@200", f"{rid}@400", f"{rid}@600"]
    assert names[-1] == f"{rid}@end"
