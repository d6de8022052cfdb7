"""Tool calls: parallel webhooks, filler when slow, results kept across a barge-in, built-in end/transfer."""

from __future__ import annotations

import json
from dataclasses import replace

from media_worker.core import (
    CallConfig,
    EndCall,
    FinishSpeech,
    Interrupt,
    InvokeTool,
    Phase,
    StartResponse,
    SynthesizeClause,
    Timer,
    ToolResultReceived,
    ToolSpec,
    TransferCall,
    transcript_turns,
)

from .driver import Call, config, of

SCHEMA = {"type": "object", "properties": {"date": {"type": "string"}}}
BOOKING = ToolSpec(name="check_availability", description="Check tables", parameters=SCHEMA, slow_after_ms=700,
                   filler_phrase="Let me check that for you.", timeout_ms=4000)  # fmt: skip
WEATHER = ToolSpec(name="weather", description="Weather", parameters=SCHEMA, slow_after_ms=1500)


def tool_call(tools: tuple[ToolSpec, ...] = (BOOKING, WEATHER), **extra: object) -> Call:
    cfg: CallConfig = replace(config(), tools=tools, **extra)  # type: ignore[arg-type]
    call = Call(cfg)
    call.greet()
    call.hear("Is there a table on Friday?", final=True, speech_final=True)
    return call


def result(call: Call, call_id: str, payload: object, outcome: str = "ok") -> list[object]:
    return list(
        call.feed(
            ToolResultReceived(now_ms=call.now, tool_call_id=call_id, result_json=json.dumps(payload), outcome=outcome)  # type: ignore[arg-type]
        )
    )


def test_tools_are_offered_to_the_llm() -> None:
    call = tool_call()
    start = of(call.log, StartResponse)[-1]
    names = [t["function"]["name"] for t in start.tools]
    assert names == ["check_availability", "weather", "end_call"]
    assert start.tools[0]["function"]["parameters"] == SCHEMA


def test_parallel_tool_calls_are_invoked_and_answered_together() -> None:
    call = tool_call()
    first = call.last_response_id()
    call.tool_call("c1", "check_availability", '{"date": "friday"}')
    call.tool_call("c2", "weather", '{"date": "friday"}')
    out = call.llm()
    # then both webhooks start at once, and the loop waits for them
    assert [(t.tool_call_id, t.name, t.timeout_ms) for t in of(out, InvokeTool)] == [
        ("c1", "check_availability", 4000),
        ("c2", "weather", 5000),
    ]
    assert call.state.phase == Phase.TOOL
    # when results arrive out of order
    assert not of(result(call, "c2", {"sun": True}), StartResponse)  # type: ignore[arg-type]
    out = result(call, "c1", {"tables": 2})
    # then one new response carries the request and both results
    start = of(out, StartResponse)[0]  # type: ignore[arg-type]
    assert start.response_id != first
    roles = [m["role"] for m in start.messages]
    assert roles[-3:] == ["assistant", "tool", "tool"]
    assert [c["id"] for c in start.messages[-3]["tool_calls"]] == ["c1", "c2"]
    assert {m["tool_call_id"] for m in start.messages[-2:]} == {"c1", "c2"}
    assert call.state.phase == Phase.THINKING


def test_filler_phrase_after_the_slow_threshold() -> None:
    call = tool_call()
    call.tool_call("c1", "check_availability")
    call.llm()
    assert not of(call.advance(600), SynthesizeClause)
    out = call.advance(100)
    # then the tool's filler is spoken while waiting
    assert [c.text for c in of(out, SynthesizeClause)] == ["Let me check that for you."]
    assert of(out, FinishSpeech)
    # and a result arriving while the filler plays still gets its answer, after the filler
    rid = of(out, SynthesizeClause)[0].response_id
    call.synthesize(rid, 1200)
    out = result(call, "c1", {"tables": 2})
    reply_id = of(out, StartResponse)[0].response_id  # type: ignore[arg-type]
    out = call.llm("Yes, we have two tables. ", response_id=reply_id)
    assert [c.text for c in of(out, SynthesizeClause)] == ["Yes, we have two tables. "]


def test_no_filler_when_the_llm_already_said_something() -> None:
    call = tool_call()
    call.tool_call("c1", "check_availability")
    call.llm("One moment while I look. ")
    out = call.advance(1000)
    assert not of(out, SynthesizeClause)


def test_fast_result_means_no_filler() -> None:
    call = tool_call()
    call.tool_call("c1", "check_availability")
    call.llm()
    call.advance(200)
    result(call, "c1", {"tables": 2})
    out = call.advance(2000)
    assert not [c for c in of(out, SynthesizeClause) if "check" in c.text]


def test_barge_in_during_a_tool_keeps_the_result_for_after_the_caller_turn() -> None:
    # given the agent is saying something while the tool runs
    call = tool_call()
    call.tool_call("c1", "check_availability")
    out = call.llm("Let me look that up for you. ")
    rid = of(out, SynthesizeClause)[0].response_id
    call.synthesize(rid, 2000)
    call.advance(500)
    call.play_marks(until_ms=400)
    # when the caller barges in
    call.speech_started()
    call.advance(300)
    out = call.hear("actually make it Saturday")
    assert of(out, Interrupt)
    assert call.state.tool_round is not None
    # and the result arrives while the caller is still talking
    out = result(call, "c1", {"tables": 0})
    assert not of(out, StartResponse)  # type: ignore[arg-type]
    # then, after the caller's turn, the reply sees request, result and the new words in order
    out = call.hear("actually make it Saturday.", final=True, speech_final=True)
    start = of(out, StartResponse)[0]
    roles = [m["role"] for m in start.messages]
    assert roles[-3:] == ["assistant", "tool", "user"]
    assert start.messages[-2]["content"] == json.dumps({"tables": 0})
    assert start.messages[-1]["content"] == "actually make it Saturday."


def test_caller_turn_ending_before_the_result_waits_for_it() -> None:
    call = tool_call()
    call.tool_call("c1", "check_availability")
    call.llm()
    call.advance(500)
    call.hear("and for four people.", final=True, speech_final=True)
    # then the loop waits for the tool instead of asking the LLM without its result
    assert call.state.phase == Phase.TOOL
    assert len(of(call.log, StartResponse)) == 1
    out = result(call, "c1", {"tables": 1})
    start = of(out, StartResponse)[0]  # type: ignore[arg-type]
    assert [m["role"] for m in start.messages][-4:] == ["user", "assistant", "tool", "user"]


def test_unknown_tool_is_answered_with_an_error_result() -> None:
    call = tool_call()
    call.tool_call("c9", "launch_rockets")
    out = call.llm()
    assert not of(out, InvokeTool)
    start = of(out, StartResponse)[0]
    assert "unknown tool" in start.messages[-1]["content"]
    turns = transcript_turns(call.state)
    assert turns[-1].tool_calls == () or turns[-1].tool_calls[0].outcome == "blocked"


def test_tool_summaries_reach_the_transcript() -> None:
    call = tool_call()
    call.tool_call("c1", "check_availability")
    call.llm()
    call.advance(250)
    result(call, "c1", {"tables": 2})
    call.llm("We have two tables. ")
    call.speak_through(call.last_response_id(), 1000)
    summary = transcript_turns(call.state)[-1].tool_calls[0]
    assert (summary.tool_call_id, summary.name, summary.outcome, summary.latency_ms) == (
        "c1",
        "check_availability",
        "ok",
        250.0,
    )


def test_end_call_says_goodbye_then_hangs_up_after_playback() -> None:
    call = tool_call()
    call.tool_call("e1", "end_call")
    out = call.llm()
    rid = of(out, SynthesizeClause)[0].response_id
    assert of(out, SynthesizeClause)[0].text == "Thank you for calling. Goodbye!"
    assert not of(out, EndCall)
    out = call.speak_through(rid, 1500)
    assert of(out, EndCall)[0].reason == "assistant_ended"
    assert call.state.phase == Phase.ENDED


def test_end_call_with_its_own_goodbye_text_does_not_add_the_canned_one() -> None:
    call = tool_call()
    call.tool_call("e1", "end_call")
    out = call.llm("Have a great day! ")
    assert [c.text for c in of(out, SynthesizeClause)] == ["Have a great day! "]


def test_goodbye_is_not_interrupted_and_ends_even_without_a_mark() -> None:
    call = tool_call()
    call.tool_call("e1", "end_call")
    out = call.llm()
    rid = of(out, SynthesizeClause)[0].response_id
    call.synthesize(rid, 1500)
    call.speech_started()
    call.advance(300)
    assert not of(call.hear("wait one more thing"), Interrupt)
    # when the end mark never comes back, the grace timer ends the call
    out = call.advance(20_000)
    assert of(out, EndCall)[0].reason == "assistant_ended"


def test_transfer_to_an_allowed_number_announces_then_transfers() -> None:
    call = tool_call(transfer_destinations=("+14155550100",))
    start = of(call.log, StartResponse)[-1]
    transfer = next(t for t in start.tools if t["function"]["name"] == "transfer_call")
    assert transfer["function"]["parameters"]["properties"]["destination"]["enum"] == ["+14155550100"]
    call.tool_call("t1", "transfer_call", '{"destination": "+14155550100"}')
    out = call.llm()
    rid = of(out, SynthesizeClause)[0].response_id
    assert of(out, SynthesizeClause)[0].text == "Please hold while I transfer your call."
    out = call.speak_through(rid, 1500)
    assert of(out, TransferCall)[0].destination == "+14155550100"
    assert of(out, EndCall)[0].reason == "transferred"


def test_transfer_to_another_number_is_refused_back_to_the_llm() -> None:
    call = tool_call(transfer_destinations=("+14155550100",))
    call.tool_call("t1", "transfer_call", '{"destination": "+19005550000"}')
    out = call.llm()
    assert not of(out, TransferCall)
    start = of(out, StartResponse)[0]
    assert "allowed" in start.messages[-1]["content"]
    assert call.state.ending is None


def test_transfer_is_not_offered_without_destinations() -> None:
    call = tool_call()
    names = [t["function"]["name"] for t in of(call.log, StartResponse)[-1].tools]
    assert "transfer_call" not in names
    assert Timer.TOOL_SLOW not in call.state.timers


def test_reply_waits_for_the_filler_audio_so_the_lane_never_interleaves() -> None:
    # given the filler is still being synthesised when the results arrive
    call = tool_call()
    call.tool_call("c1", "check_availability")
    call.llm()
    filler = of(call.advance(700), SynthesizeClause)[0].response_id
    reply = of(result(call, "c1", {"tables": 2}), StartResponse)[0].response_id  # type: ignore[arg-type]
    # when the reply streams, its text is held back
    out = call.llm("We have two tables. ", response_id=reply)
    assert not of(out, SynthesizeClause) and not of(out, FinishSpeech)
    # then released, in order, once the filler's audio is complete
    out = call.synthesize(filler, 800)
    assert [(c.response_id, c.text) for c in of(out, SynthesizeClause)] == [(reply, "We have two tables. ")]
    assert [c.response_id for c in of(out, FinishSpeech)] == [reply]
