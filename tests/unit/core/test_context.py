"""The LLM conversation: OpenAI message shapes, truncation to heard text, tool result placement."""

from __future__ import annotations

import pytest

from media_worker.core import Conversation, ToolCall

CALL = ToolCall(id="call_1", name="lookup", arguments_json='{"q": "x"}')


def test_renders_openai_chat_messages() -> None:
    convo = Conversation.start("sys").with_user("hi").with_assistant("r1", "Hello!")
    assert convo.to_openai() == (
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello!"},
    )


def test_assistant_message_of_a_response_is_replaced_by_the_heard_text() -> None:
    # given a full reply recorded, when the caller turns out to have heard only part of it
    convo = Conversation.start("sys").with_assistant("r1", "One two three four.")
    convo = convo.with_assistant("r1", "One two")
    # then the context holds only what was heard
    assert convo.to_openai()[-1] == {"role": "assistant", "content": "One two"}


def test_nothing_heard_removes_the_assistant_message() -> None:
    convo = Conversation.start("sys").with_user("hi").with_assistant("r1", "Hello!").with_assistant("r1", "")
    assert [m["role"] for m in convo.to_openai()] == ["system", "user"]


def test_tool_calls_render_and_keep_their_message_when_text_is_cut() -> None:
    # given an assistant message with text and a tool call, when its text is cut to nothing
    convo = Conversation.start("sys").with_assistant("r1", "Let me check.", (CALL,)).with_assistant("r1", "")
    message = convo.to_openai()[-1]
    # then the tool call stays (the tool result must follow it) and content is null
    assert message["content"] is None
    assert message["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}
    ]


def test_tool_result_goes_right_after_its_request_even_after_a_caller_turn() -> None:
    # given the caller spoke after the tool was requested
    convo = Conversation.start("sys").with_assistant("r1", "", (CALL,)).with_user("hello?")
    # when the result arrives
    convo = convo.with_tool_result("call_1", '{"ok": true}')
    # then it sits between the request and the caller's words
    roles = [m["role"] for m in convo.to_openai()]
    assert roles == ["system", "assistant", "tool", "user"]
    assert convo.to_openai()[2] == {"role": "tool", "content": '{"ok": true}', "tool_call_id": "call_1"}


def test_unknown_tool_result_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no assistant message"):
        Conversation.start("sys").with_tool_result("nope", "{}")


def test_last_user_message_can_be_reopened() -> None:
    convo, text = Conversation.start("sys").with_user("book a table").without_last_user()
    assert text == "book a table"
    assert convo.to_openai() == ({"role": "system", "content": "sys"},)


def test_tool_calls_accumulate_on_an_existing_assistant_message() -> None:
    # given the reply's spoken text was already recorded, when the same response then asks for a tool
    convo = Conversation.start("sys").with_assistant("r1", "Sure.").with_assistant("r1", "Sure.", (CALL,))
    # then the tool call is kept (its result can follow it)
    assert convo.to_openai()[-1]["tool_calls"][0]["id"] == "call_1"
    assert convo.with_tool_result("call_1", "{}").to_openai()[-1]["role"] == "tool"
