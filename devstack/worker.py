"""``python -m devstack.worker``: the media worker as the local stack runs it.

The same composition root as ``python -m media_worker`` (``media_worker.app.build_app`` from the
environment, ``MediaServer``, SIGTERM/SIGINT drain), with two local differences:

- providers follow each assistant's settings (:class:`~devstack.worker_providers.RoutingProviderFactory`):
  with ``SWITCHBOARD_LOCAL_MODELS=1`` the offline engines are loaded before serving;
- it listens on 127.0.0.1 only (``python -m media_worker`` binds every interface, as behind an ALB).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import os
import signal

from devstack.worker_providers import RoutingProviderFactory, load_engines
from media_worker.app import build_app
from media_worker.providers import ProviderClients, ProviderSettings
from media_worker.runtime.logs import configure_logging
from media_worker.runtime.providers import SdkProviderFactory
from media_worker.server import MediaServer

log = logging.getLogger("devstack.worker")
HOST = "127.0.0.1"


UNCONFIGURED = "not-configured"


def with_placeholder_keys(settings: ProviderSettings) -> ProviderSettings:
    """The SDK clients cannot be built without a key (openai raises), but a vendor no assistant uses
    needs none: such clients get a placeholder, which the vendor would refuse if it were ever called."""
    return dataclasses.replace(
        settings,
        deepgram_api_key=settings.deepgram_api_key or UNCONFIGURED,
        openai_api_key=settings.openai_api_key or UNCONFIGURED,
        cartesia_api_key=settings.cartesia_api_key or UNCONFIGURED,
    )


async def main() -> None:
    configure_logging()
    env = os.environ
    settings = with_placeholder_keys(ProviderSettings.from_env(env))
    clients = await asyncio.to_thread(ProviderClients.from_settings, settings)
    engines = await asyncio.to_thread(load_engines, env)
    sdk = SdkProviderFactory(clients, openai_api_key=settings.openai_api_key)
    app = await build_app(env, providers=RoutingProviderFactory(sdk, engines))
    await app.start()
    server = MediaServer(app)
    await server.start(HOST)
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
    await sdk.aclose()
    await clients.aclose()
    if engines is not None:
        await asyncio.to_thread(engines.close)
    log.info("stopped")


if __name__ == "__main__":
    asyncio.run(main())
