"""Fake OpenAI-compatible Chat Completions (``POST /v1/chat/completions``) and streaming speech
(``POST /v1/audio/speech``, ``response_format=pcm``) over real HTTP.

Streams SSE exactly as the openai SDK expects (see /work/shared/PROTOCOLS.md): a chunk JSON
per ``data:`` line, tool calls in fragments keyed by index, ``finish_reason``, a usage chunk
with ``choices: []`` when ``stream_options.include_usage``, then ``data: [DONE]``.
Replies are scripted (a queue, or a callable of the request); faults are replies too.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fakes._http import ClientGone, Exchange, HttpFake, HttpRequest
from fakes.latency import ZERO_LATENCY, LatencyProfile

# -- scripted replies ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TextReply:
    """Assistant text, streamed one word-token at a time after the time to first token."""

    text: str
    ttft_ms: int | None = None  # None: the fake's latency profile
    tokens_per_s: float | None = None


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class ToolCallsReply:
    """One or several (parallel) tool calls, optionally after some text; arguments in fragments."""

    calls: Sequence[ToolCall]
    text: str = ""
    fragment_chars: int = 7
    ttft_ms: int | None = None
    tokens_per_s: float | None = None


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error with an OpenAI error body (500, 429, 401...)."""

    status: int = 500
    message: str = "The fake server had an error."
    type: str = "server_error"
    code: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StreamErrorReply:
    """Stream ``after_text`` normally, then ``data: {"error": {...}}`` and close."""

    message: str = "The fake stream failed."
    after_text: str = ""


@dataclass(frozen=True)
class StallReply:
    """Never produce a token: hold the request open until the client gives up."""

    send_headers: bool = True  # True: 200 + SSE headers first, like a stuck model behind a live proxy


@dataclass(frozen=True)
class DropReply:
    """Stream ``after_text``, then cut the TCP connection."""

    after_text: str = ""


Reply = TextReply | ToolCallsReply | ErrorReply | StreamErrorReply | StallReply | DropReply


def json_reply(content: Mapping[str, Any] | Sequence[Any]) -> TextReply:
    """Structured output (``response_format`` json_schema): the scripted JSON as the message content."""
    return TextReply(json.dumps(content))


# -- recorded requests --------------------------------------------------------------------------


@dataclass
class ChatRequest:
    """One request as the fake saw it, and what became of it."""

    body: dict[str, Any]
    authorization: str | None
    reply: Reply | None = None
    text_sent: str = ""
    tokens_sent: int = 0
    completed: bool = False
    cancelled: bool = False  # the client went away before the response was complete

    @property
    def model(self) -> str | None:
        return self.body.get("model")

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def tools(self) -> list[dict[str, Any]]:
        return list(self.body.get("tools") or [])

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def include_usage(self) -> bool:
        return bool((self.body.get("stream_options") or {}).get("include_usage"))

    @property
    def response_format(self) -> dict[str, Any] | None:
        return self.body.get("response_format")


@dataclass(frozen=True)
class SpeechReply:
    """Speak the input: 24 kHz s16le PCM, a voice-like buzz (a higher voice than the Cartesia fake's)."""

    ttfb_ms: int | None = None  # None: the latency profile's tts_ttfb_ms


SpeechFault = SpeechReply | ErrorReply | StallReply | DropReply
"""What ``/v1/audio/speech`` does with one request; ``DropReply`` cuts the connection halfway through the audio."""


@dataclass
class SpeechRequest:
    """One ``/v1/audio/speech`` request as the fake saw it."""

    body: dict[str, Any]
    authorization: str | None
    reply: SpeechFault | None = None
    bytes_sent: int = 0
    completed: bool = False
    cancelled: bool = False

    @property
    def input(self) -> str:
        return str(self.body.get("input") or "")

    @property
    def voice(self) -> Any:
        return self.body.get("voice")

    @property
    def model(self) -> str | None:
        return self.body.get("model")

    @property
    def response_format(self) -> str | None:
        return self.body.get("response_format")


SPEECH_RATE = 24_000


def speech_audio_for(text: str, *, ms_per_char: float = 60.0, min_ms: int = 100) -> bytes:
    """The PCM (24 kHz s16le) the fake speaks for ``text``: a 230 Hz buzz, every 20 ms frame loud."""
    duration_s = max(min_ms, ms_per_char * len(text.strip())) / 1000
    t = np.arange(round(duration_s * SPEECH_RATE)) / SPEECH_RATE
    buzz = sum(np.sin(2 * np.pi * 230 * k * t) / k for k in (1, 2, 3))
    envelope = 0.7 + 0.3 * np.sin(2 * np.pi * 5 * t)
    return np.asarray(np.clip(4500 * buzz * envelope, -32768, 32767), dtype="<i2").tobytes()


ReplySource = Callable[[ChatRequest], Reply]

_TOKEN = re.compile(r"\s*\S+")
_ids = itertools.count(1)


def tokens_of(text: str) -> list[str]:
    """How the fake splits text into streamed tokens (whitespace kept with the following word)."""
    return _TOKEN.findall(text)


class FakeOpenAI(HttpFake):
    """``async with FakeOpenAI(replies=[TextReply("Hi!")]) as llm:`` then ``base_url=llm.base_url``."""

    def __init__(
        self,
        *,
        replies: Iterable[Reply] = (),
        default_reply: Reply | ReplySource = TextReply("Okay."),
        api_key: str | None = "test-openai-key",
        latency: LatencyProfile = ZERO_LATENCY,
    ) -> None:
        super().__init__()
        self.replies: deque[Reply] = deque(replies)
        self.default_reply = default_reply
        self.api_key = api_key
        self.latency = latency
        self.requests: list[ChatRequest] = []
        self.speech_replies: deque[SpeechFault] = deque()
        self.speech_requests: list[SpeechRequest] = []
        self.speech_chunk_ms = 40

    @property
    def base_url(self) -> str:
        return f"{self.http_url}/v1"

    @property
    def last_request(self) -> ChatRequest:
        if not self.requests:
            raise LookupError("no chat request yet")
        return self.requests[-1]

    def push(self, *replies: Reply) -> None:
        """Queue replies for the next requests, in order."""
        self.replies.extend(replies)

    def push_speech(self, *replies: SpeechFault) -> None:
        """Queue what ``/v1/audio/speech`` does with the next requests (default: ``SpeechReply()``)."""
        self.speech_replies.extend(replies)

    def _next_reply(self, request: ChatRequest) -> Reply:
        if self.replies:
            return self.replies.popleft()
        return self.default_reply(request) if callable(self.default_reply) else self.default_reply

    # -- HTTP --------------------------------------------------------------------------------

    async def handle(self, request: HttpRequest, exchange: Exchange) -> None:
        if request.method == "POST" and request.path.endswith("/audio/speech"):
            await self._handle_speech(request, exchange)
            return
        if request.method != "POST" or not request.path.endswith("/chat/completions"):
            await exchange.send_json(404, _error_body("Unknown path for the fake.", "invalid_request_error"))
            return
        if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
            body = _error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
            await exchange.send_json(401, body)
            return
        try:
            payload = request.json()
        except ValueError:
            await exchange.send_json(400, _error_body("Body is not JSON.", "invalid_request_error"))
            return
        chat = ChatRequest(body=payload, authorization=request.headers.get("authorization"))
        self.requests.append(chat)
        chat.reply = reply = self._next_reply(chat)
        try:
            await self._respond(chat, reply, exchange)
        except ClientGone:
            chat.cancelled = True

    async def _handle_speech(self, request: HttpRequest, exchange: Exchange) -> None:
        if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
            body = _error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
            await exchange.send_json(401, body)
            return
        try:
            payload = request.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not payload.get("input") or not payload.get("voice"):
            await exchange.send_json(400, _error_body("input and voice are required.", "invalid_request_error"))
            return
        speech = SpeechRequest(body=payload, authorization=request.headers.get("authorization"))
        self.speech_requests.append(speech)
        if payload.get("response_format") != "pcm":
            problem = _error_body("the fake speaks response_format=pcm only.", "invalid_request_error")
            await exchange.send_json(400, problem)
            return
        speech.reply = reply = self.speech_replies.popleft() if self.speech_replies else SpeechReply()
        try:
            await self._speak(speech, reply, exchange)
        except ClientGone:
            speech.cancelled = True

    async def _speak(self, speech: SpeechRequest, reply: SpeechFault, exchange: Exchange) -> None:
        if isinstance(reply, ErrorReply):
            body = _error_body(reply.message, reply.type, reply.code)
            await exchange.send_json(reply.status, body, dict(reply.headers))
            speech.completed = True
            return
        await exchange.start_stream("audio/pcm", chunked=True)
        if isinstance(reply, StallReply):
            await exchange.wait_disconnected()
            raise ClientGone
        ttfb = getattr(reply, "ttfb_ms", None)
        ttfb = self.latency.tts_ttfb_ms if ttfb is None else ttfb
        await exchange.sleep(ttfb / 1000)
        audio = speech_audio_for(speech.input)
        if isinstance(reply, DropReply):
            audio = audio[: len(audio) // 4 * 2]
        chunk = SPEECH_RATE * 2 * self.speech_chunk_ms // 1000
        factor = self.latency.tts_realtime_factor
        pace_s = self.speech_chunk_ms / 1000 / factor if factor > 0 else 0.0
        for start in range(0, len(audio), chunk):
            await exchange.send_bytes(audio[start : start + chunk])
            speech.bytes_sent += len(audio[start : start + chunk])
            await exchange.sleep(pace_s)
        if isinstance(reply, DropReply):
            exchange.abort()
            raise ClientGone
        await exchange.end_stream()
        speech.completed = True

    async def _respond(self, chat: ChatRequest, reply: Reply, exchange: Exchange) -> None:
        if isinstance(reply, ErrorReply):
            body = _error_body(reply.message, reply.type, reply.code)
            await exchange.send_json(reply.status, body, dict(reply.headers))
            chat.completed = True
            return
        if isinstance(reply, StallReply):
            if reply.send_headers and chat.stream:
                await exchange.start_stream()
            await exchange.wait_disconnected()
            raise ClientGone
        if chat.stream:
            await _Streamer(chat, exchange, self.latency).run(reply)
        else:
            await self._respond_whole(chat, reply, exchange)

    async def _respond_whole(self, chat: ChatRequest, reply: Reply, exchange: Exchange) -> None:
        ttft = getattr(reply, "ttft_ms", None)
        await exchange.sleep((self.latency.llm_ttft_ms if ttft is None else ttft) / 1000)
        if isinstance(reply, DropReply):
            exchange.abort()
            raise ClientGone
        if isinstance(reply, StreamErrorReply):
            await exchange.send_json(500, _error_body(reply.message, "server_error"))
            chat.completed = True
            return
        assert isinstance(reply, TextReply | ToolCallsReply)
        message: dict[str, Any] = {"role": "assistant", "content": reply.text or None, "refusal": None}
        finish = "stop"
        if isinstance(reply, ToolCallsReply):
            message["tool_calls"] = [
                {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": args}}
                for call, call_id, args in _calls(reply)
            ]
            finish = "tool_calls"
        chat.text_sent = reply.text
        chat.tokens_sent = len(tokens_of(reply.text))
        body = {
            **_envelope(chat, "chat.completion"),
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": _usage(chat),
        }
        await exchange.send_json(200, body)
        chat.completed = True


class _Streamer:
    """Writes one streamed completion."""

    def __init__(self, chat: ChatRequest, exchange: Exchange, latency: LatencyProfile) -> None:
        self.chat = chat
        self.exchange = exchange
        self.latency = latency
        self.envelope = _envelope(chat, "chat.completion.chunk")
        self.gap_s = 0.0

    async def run(self, reply: Reply) -> None:
        ttft = getattr(reply, "ttft_ms", None)
        rate = getattr(reply, "tokens_per_s", None)
        self.gap_s = _gap(self.latency.llm_tokens_per_s if rate is None else rate)
        await self.exchange.start_stream()
        await self.exchange.sleep((self.latency.llm_ttft_ms if ttft is None else ttft) / 1000)
        text = reply.text if isinstance(reply, TextReply | ToolCallsReply) else getattr(reply, "after_text", "")
        await self.send({"role": "assistant", "content": "" if text or isinstance(reply, TextReply) else None})
        for token in tokens_of(text):
            await self.send({"content": token})
            self.chat.text_sent += token
            self.chat.tokens_sent += 1
            await self.exchange.sleep(self.gap_s)
        if isinstance(reply, StreamErrorReply):
            await self.exchange.send_event(json.dumps(_error_body(reply.message, "server_error")))
            self.chat.completed = True
            return
        if isinstance(reply, DropReply):
            self.exchange.abort()
            raise ClientGone
        finish = "stop"
        if isinstance(reply, ToolCallsReply):
            finish = "tool_calls"
            await self.send_tool_calls(reply)
        await self.send({}, finish)
        if self.chat.include_usage:
            await self.exchange.send_event(json.dumps({**self.envelope, "choices": [], "usage": _usage(self.chat)}))
        await self.exchange.send_event("[DONE]")
        self.chat.completed = True

    async def send_tool_calls(self, reply: ToolCallsReply) -> None:
        for index, (call, call_id, args) in enumerate(_calls(reply)):
            function = {"name": call.name, "arguments": ""}
            header = {"index": index, "id": call_id, "type": "function", "function": function}
            await self.send({"tool_calls": [header]})
            step = max(reply.fragment_chars, 1)
            for start in range(0, len(args), step):
                fragment = {"index": index, "function": {"arguments": args[start : start + step]}}
                await self.send({"tool_calls": [fragment]})
                self.chat.tokens_sent += 1
                await self.exchange.sleep(self.gap_s)

    async def send(self, delta: dict[str, Any], finish_reason: str | None = None) -> None:
        chunk: dict[str, Any] = {
            **self.envelope,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if self.chat.include_usage:
            chunk["usage"] = None
        await self.exchange.send_event(json.dumps(chunk))


def _calls(reply: ToolCallsReply) -> list[tuple[ToolCall, str, str]]:
    out = []
    for call in reply.calls:
        args = call.arguments if isinstance(call.arguments, str) else json.dumps(dict(call.arguments))
        out.append((call, call.id or f"call_fake{next(_ids)}", args))
    return out


def _gap(tokens_per_s: float) -> float:
    return 1.0 / tokens_per_s if tokens_per_s > 0 else 0.0


def _envelope(chat: ChatRequest, obj: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake{next(_ids)}",
        "object": obj,
        "created": int(time.time()),
        "model": chat.model or "fake-model",
        "system_fingerprint": "fp_fake",
    }


def _usage(chat: ChatRequest) -> dict[str, int]:
    prompt_chars = sum(len(json.dumps(m.get("content") or "")) for m in chat.messages)
    prompt = max(1, prompt_chars // 4)
    return {"prompt_tokens": prompt, "completion_tokens": chat.tokens_sent, "total_tokens": prompt + chat.tokens_sent}


def _error_body(message: str, error_type: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}
