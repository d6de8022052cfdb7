"""``python -m switchboard.caller`` (or ``switchboard``): place one call as Twilio would, from a terminal.

1. POST a voice webhook to ``{api}/twilio/voice``, signed with the Twilio auth token
   (``X-Twilio-Signature``, :meth:`twilio.request_validator.RequestValidator.compute_signature`);
2. connect the ``<Stream url>`` of the TwiML answer with its ``<Parameter>``s;
3. speak the scripted lines (Piper, offline) or WAV files in real time, playing Twilio's part
   (marks, ``clear``);
4. print the live transcript, a latency line per turn and, with ``--api-key``, the call as the
   platform recorded it (transcript with tool calls, analysis).

    python -m switchboard.caller --api http://127.0.0.1:PORT --to +15550100 --script demo
    python -m switchboard.caller --api ... --wav hello.wav --wav goodbye.wav
The auth token comes from ``--auth-token-file`` or ``TWILIO_AUTH_TOKEN``; it is never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import requests
from twilio.request_validator import RequestValidator

from .caller import SimulatedCaller
from .script import (
    SCRIPTS,
    CallerLine,
    Conversation,
    PiperVoice,
    TurnResult,
    WhisperTranscriber,
    run_conversation,
    voice_lines,
)

ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_FROM = "+14155550123"


class CallRefused(RuntimeError):
    """The platform answered the voice webhook without a media stream (unknown number, busy, 4xx)."""


@dataclass(frozen=True, slots=True)
class PlacedCall:
    call_sid: str
    stream_url: str
    parameters: dict[str, str]

    @property
    def call_id(self) -> str | None:
        return self.parameters.get("call_id")


def voice_webhook_params(call_sid: str, from_number: str, to_number: str) -> dict[str, str]:
    """What Twilio POSTs to a number's voice URL for a new inbound call."""
    return {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": call_sid, "CallStatus": "ringing",
            "Direction": "inbound", "From": from_number, "To": to_number, "Caller": from_number,
            "Called": to_number}  # fmt: skip


def parse_stream_twiml(twiml: str) -> tuple[str, dict[str, str]]:
    """``(<Stream url>, {Parameter name: value})`` of a ``<Connect><Stream>`` answer; CallRefused otherwise."""
    root = ET.fromstring(twiml)  # noqa: S314 - the document comes from the platform under test
    stream = root.find("./Connect/Stream")
    if stream is None or not stream.get("url"):
        said = " ".join(s.text or "" for s in root.iter("Say")).strip()
        raise CallRefused(f"no media stream in the answer{': ' + said if said else ''}")
    parameters = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}
    return str(stream.get("url")), parameters


def place_call(
    api_url: str, auth_token: str, *, to_number: str, from_number: str = DEFAULT_FROM,
    public_url: str | None = None, timeout_s: float = 15.0,
) -> PlacedCall:  # fmt: skip
    """Blocking: the signed voice webhook, and the stream it answered with."""
    call_sid = "CA" + uuid.uuid4().hex
    params = voice_webhook_params(call_sid, from_number, to_number)
    signed_url = f"{(public_url or api_url).rstrip('/')}/twilio/voice"
    signature = RequestValidator(auth_token).compute_signature(signed_url, params)
    response = requests.post(f"{api_url.rstrip('/')}/twilio/voice", data=params, timeout=timeout_s,
                             headers={"X-Twilio-Signature": signature})  # fmt: skip
    if response.status_code != 200:
        raise CallRefused(f"voice webhook answered {response.status_code}: {response.text[:200]}")
    url, parameters = parse_stream_twiml(response.text)
    return PlacedCall(call_sid, url, parameters)


def fetch_call(api_url: str, api_key: str, call_id: str, *, wait_s: float = 30.0) -> dict[str, Any] | None:
    """Blocking: ``GET /v1/calls/{id}`` once the call has ended and post-call analysis is stored
    (or whatever it is after ``wait_s``); None if the API never found it."""
    deadline = time.monotonic() + wait_s
    found: dict[str, Any] | None = None
    while True:
        response = requests.get(f"{api_url.rstrip('/')}/v1/calls/{call_id}", timeout=10,
                                headers={"Authorization": f"Bearer {api_key}"})  # fmt: skip
        if response.status_code == 200:
            found = response.json()
            if found.get("analysis") is not None:
                return found
        if time.monotonic() > deadline:
            return found
        time.sleep(0.5)


class TerminalPrinter:
    """Prints the conversation as it happens (a :class:`~switchboard.caller.script.ConversationListener`)."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out

    def line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def caller_said(self, turn: int, text: str) -> None:
        self.line(f"  caller  ▸ {text}")

    def agent_said(self, turn: int, text: str | None, audio_ms: float) -> None:
        heard = text if text else f"[{audio_ms / 1000:.1f} s of speech]"
        self.line(f"  agent   ◂ {heard}")

    def turn_measured(self, result: TurnResult) -> None:
        v2v = result.voice_to_voice_ms
        shown = f"{v2v:.0f} ms" if v2v is not None else "no reply"
        self.line(f"  latency · turn {result.index}: voice-to-voice {shown} (caller-measured: end of speech → "
                  "first reply audio)")  # fmt: skip

    def recorded_call(self, call: dict[str, Any]) -> None:
        self.line("  the platform's record of the call:")
        for turn in call.get("transcript") or []:
            self.line(f"    {turn['role']:>9}: {turn['text']}")
            for tool in turn.get("tool_calls") or []:
                self.line(f"    {'tool':>9}: {tool['name']} → {tool['outcome']} ({tool['latency_ms']:.0f} ms)")
        analysis = call.get("analysis")
        if analysis:
            label = analysis["sentiment"]["label"]
            self.line(f"    analysis: {analysis['disposition']}, {label} — {analysis['summary']}")


async def call_and_talk(
    placed: PlacedCall, lines: Sequence[CallerLine], audio: Sequence[bytes], *, from_number: str, to_number: str,
    listener: Any, transcriber: Any = None, reply_timeout_s: float = 60.0,
) -> tuple[SimulatedCaller, Conversation]:  # fmt: skip
    """Connect the stream, run the conversation, hang up (unless the agent did)."""
    caller = SimulatedCaller(f"{placed.stream_url}", custom_parameters=placed.parameters, call_id=placed.call_sid,
                             from_number=from_number, to_number=to_number)  # fmt: skip
    await caller.connect()
    try:
        conversation = await run_conversation(caller, lines, audio, listener=listener, transcriber=transcriber,
                                              reply_timeout_s=reply_timeout_s)  # fmt: skip
    finally:
        await caller.hang_up()
    return caller, conversation


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="switchboard", description="Place a simulated Twilio call.")
    parser.add_argument("--api", required=True, help="the platform's API base URL (the local gateway)")
    parser.add_argument("--public-url", help="the URL Twilio would sign, if the API is behind a tunnel")
    parser.add_argument("--to", required=True, help="the number called (E.164), routed to an assistant")
    parser.add_argument("--from", dest="from_number", default=DEFAULT_FROM, help="the caller's number (E.164)")
    parser.add_argument("--auth-token-file", type=Path, help="file holding the Twilio auth token "
                        "(default: $TWILIO_AUTH_TOKEN)")  # fmt: skip
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="demo", help="scripted caller lines")
    parser.add_argument("--say", action="append", default=[], help="a caller line (repeatable; replaces --script)")
    parser.add_argument("--wav", action="append", type=Path, default=[], help="a WAV file to speak (repeatable)")
    parser.add_argument("--api-key", default=os.environ.get("SWITCHBOARD_API_KEY"),
                        help="tenant API key: fetch the recorded call afterwards (default: $SWITCHBOARD_API_KEY)")
    parser.add_argument("--reply-timeout", type=float, default=60.0, help="seconds to wait for each reply")
    parser.add_argument("--no-transcribe", action="store_true", help="do not transcribe the agent's replies")
    return parser


def auth_token(path: Path | None) -> str:
    token = path.read_text().strip() if path is not None else os.environ.get("TWILIO_AUTH_TOKEN", "").strip()
    if not token:
        raise SystemExit("no Twilio auth token: pass --auth-token-file or set TWILIO_AUTH_TOKEN")
    return token


def script_lines(args: argparse.Namespace) -> list[CallerLine]:
    if args.wav:
        return [CallerLine(f"(audio: {path.name})", wav=path) for path in args.wav]
    if args.say:
        return [CallerLine(text) for text in args.say]
    return list(SCRIPTS[args.script])


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    token = auth_token(args.auth_token_file)
    lines = script_lines(args)
    printer = TerminalPrinter()
    needs_voice = any(line.wav is None for line in lines)
    voice = PiperVoice() if needs_voice else None
    audio = voice_lines(lines, voice)
    transcriber = None
    if not args.no_transcribe:
        try:
            transcriber = WhisperTranscriber()
        except Exception as exc:  # offline models absent: show reply durations instead
            printer.line(f"(agent replies not transcribed: {exc})")
    placed = place_call(args.api, token, to_number=args.to, from_number=args.from_number, public_url=args.public_url)
    printer.line(f"call {placed.call_id} ({placed.call_sid}) → {placed.stream_url}")
    asyncio.run(call_and_talk(placed, lines, audio, from_number=args.from_number, to_number=args.to, listener=printer,
                              transcriber=transcriber, reply_timeout_s=args.reply_timeout))  # fmt: skip
    if args.api_key and placed.call_id:
        call = fetch_call(args.api, args.api_key, placed.call_id)
        if call is not None:
            printer.recorded_call(call)
    return 0
