"""``make demo``'s code path, headless: one short scripted call through every layer of the local stack.

With the wire-level fakes (always runs, ~30 s): the caller's words go through the fake STT, the
worker, ``call.ended`` on moto's EventBridge, the event router and post_call into the call record
read back through the admin API; the LLM fake calls ``create_support_ticket``, which reaches the demo
webhook through tool_call; post_call writes the HubSpot fake. With the offline models (marked
``offline_models``): the same with real Whisper, SmolLM2 and Piper.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from media_worker.providers.offline import deps

from .conftest import DemoRun, alive, run_devstack


def caller_text(summary: dict[str, Any]) -> str:
    record = summary["call_record"] or {}
    return " ".join(t["text"] for t in record.get("transcript", []) if t["role"] == "caller").lower()


def assert_every_layer(run: DemoRun) -> dict[str, Any]:
    summary = run.summary()
    # the caller's words were transcribed and reached the call record (through call.ended and post_call)
    words = caller_text(summary)
    assert "printer" in words and "ticket" in words, words
    # the tool was invoked with sensible arguments: the webhook got a ticket with a summary about the printer
    [ticket, *_] = summary["tickets"]
    assert ticket["arguments"]["summary"].strip()
    assert ticket["call_id"] == summary["call_id"]
    # the CRM received the call, attached to the caller's contact
    calls = [r for r in summary["crm_requests"] if r["route"] == "create_call"]
    assert calls and calls[0]["status"] == 201
    assert calls[0]["body"]["properties"]["hs_call_from_number"] == "+14155550123"
    # the report was written and holds the transcript, the recording and the waterfall
    html = run.report_html()
    assert "printer" in html.lower()
    assert "data:audio/wav;base64," in html and "<svg" in html
    # and no process of the stack outlived it
    assert [name for name, pid in run.child_pids().items() if alive(pid)] == []
    return summary


def test_the_demo_call_goes_through_every_layer_with_the_provider_fakes(tmp_path: Path) -> None:
    # when the demo runs headless on the wire-level fakes (no keys, no models)
    run = run_devstack(tmp_path, "demo", "--providers", "fakes", "--script", "short", timeout_s=120)
    # then it succeeded, and every layer did its part
    assert run.returncode == 0, run.output[-3000:]
    summary = assert_every_layer(run)
    assert "priority" in summary["tickets"][0]["arguments"]
    assert summary["call_record"]["analysis"]["source"] == "llm"  # post_call's analysis, by the OpenAI fake
    assert "report:" in run.output and "[8/8] media worker" in run.output


@pytest.mark.offline_models
def test_the_demo_call_goes_through_every_layer_with_the_offline_models(tmp_path: Path) -> None:
    absent = deps.missing()
    if absent:
        pytest.skip(f"offline models not installed ({', '.join(absent)}): run `make demo-deps`")
    # when the demo runs headless on the offline models (Whisper, SmolLM2, Piper)
    run = run_devstack(tmp_path, "demo", "--providers", "offline", "--script", "short", timeout_s=600)
    # then the call went through every layer (the small LLM's wording is not asserted)
    assert run.returncode == 0, run.output[-3000:]
    assert_every_layer(run)
