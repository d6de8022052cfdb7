"""One wire-level fake in its own process, injecting the article's latency budget.

``python -m bench.fake_process deepgram|openai|cartesia`` prints one JSON line with its URLs, then
serves until SIGTERM. Each fake gets its own process (and event loop), so at hundreds of calls a
busy fake does not delay another fake's replies; on exit it prints one JSON line of counters.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

from bench.scenario import REPLY, transcript_for
from fakes import ARTICLE_BUDGET, FakeCartesia, FakeDeepgram, FakeOpenAI, TextReply
from fakes._server import FakeServer

CARTESIA_MS_PER_CHAR = 40.0


def build(kind: str) -> FakeServer:
    if kind == "deepgram":
        return FakeDeepgram(script=transcript_for, api_key=None, latency=ARTICLE_BUDGET, script_per_connection=True)
    if kind == "openai":
        return FakeOpenAI(default_reply=TextReply(REPLY), api_key=None, latency=ARTICLE_BUDGET)
    if kind == "cartesia":
        return FakeCartesia(api_key=None, latency=ARTICLE_BUDGET, ms_per_char=CARTESIA_MS_PER_CHAR)
    raise SystemExit(f"unknown fake {kind!r}")


def counters(fake: FakeServer) -> dict[str, Any]:
    if isinstance(fake, FakeDeepgram):
        endpointing = sorted({s.param("endpointing") or "unset" for s in fake.sessions})
        encodings = sorted({s.param("encoding") or "unset" for s in fake.sessions})
        finals = sum(1 for s in fake.sessions for m in s.sent_of("Results") if m.get("speech_final"))
        return {"sessions": len(fake.sessions), "endpointing": endpointing, "encodings": encodings, "finals": finals}
    if isinstance(fake, FakeOpenAI):
        return {"requests": len(fake.requests), "cancelled": sum(r.cancelled for r in fake.requests)}
    if isinstance(fake, FakeCartesia):
        contexts = fake.contexts
        formats = sorted({json.dumps(c.output_format, sort_keys=True) for c in contexts})
        return {"connections": len(fake.connections), "contexts": len(contexts),
                "cancelled": sum(c.cancelled for c in contexts), "output_formats": formats}  # fmt: skip
    return {}


async def main(kind: str) -> None:
    fake = build(kind)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with fake:
        print(json.dumps({"kind": kind, "http_url": fake.http_url, "ws_url": fake.ws_url}), flush=True)
        await stop.wait()
        print(json.dumps({"kind": kind, "counters": counters(fake)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
