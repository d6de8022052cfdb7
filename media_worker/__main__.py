"""``python -m media_worker``: serve carrier media streams from the environment until SIGTERM.

On SIGTERM (or SIGINT) the worker drains: ``/healthz`` answers 503, new streams are refused,
live calls get ``SWITCHBOARD_DRAIN_LIMIT_S`` (default 90 s) to finish, then each hears a short
goodbye and ends with its ``call.ended``; the event publisher is flushed before exit.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

from media_worker.app import build_app
from media_worker.runtime.logs import configure_logging
from media_worker.server import MediaServer

log = logging.getLogger("media_worker")


async def main() -> None:
    configure_logging()
    app = await build_app()
    await app.start()
    server = MediaServer(app)
    await server.start()
    # Everything loaded so far lives for the whole process: keep the collector from re-scanning it
    # (a full collection over the SDKs' objects can block the loop for hundreds of ms).
    gc.collect()
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    log.info("signal received; draining")
    await server.drain()
    await server.aclose()
    log.info("stopped")


if __name__ == "__main__":
    asyncio.run(main())
