"""Wire-level fakes of the vendors Switchboard talks to, on real loopback sockets.

Shared by the tests, ``bench/`` and the local demo; the real SDKs reach them through their
base-URL settings. Only fakes live here. See fakes/README.md.
"""

from fakes.cartesia import CartesiaConnection, CartesiaContext, CartesiaFaults, FakeCartesia
from fakes.deepgram import DeepgramFaults, DeepgramSession, FakeDeepgram
from fakes.latency import ARTICLE_BUDGET, ZERO_LATENCY, LatencyProfile
from fakes.openai import (
    ChatRequest,
    DropReply,
    ErrorReply,
    FakeOpenAI,
    Reply,
    StallReply,
    StreamErrorReply,
    TextReply,
    ToolCall,
    ToolCallsReply,
    json_reply,
)

__all__ = [
    "ARTICLE_BUDGET",
    "ZERO_LATENCY",
    "CartesiaConnection",
    "CartesiaContext",
    "CartesiaFaults",
    "ChatRequest",
    "DeepgramFaults",
    "DeepgramSession",
    "DropReply",
    "ErrorReply",
    "FakeCartesia",
    "FakeDeepgram",
    "FakeOpenAI",
    "LatencyProfile",
    "Reply",
    "StallReply",
    "StreamErrorReply",
    "TextReply",
    "ToolCall",
    "ToolCallsReply",
    "json_reply",
]
