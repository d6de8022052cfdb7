"""The vendor SDK clients a worker process shares across its calls.

Building an SDK client loads TLS trust stores: 20-70 ms of blocking CPU each, measured. Build
them once at process start (``ProviderClients.from_settings``), never per call on the event loop;
per-call adapters take them as their first argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from cartesia import AsyncCartesia
from deepgram import AsyncDeepgramClient
from openai import AsyncOpenAI

from media_worker.providers.cartesia import cartesia_client
from media_worker.providers.deepgram import deepgram_client
from media_worker.providers.openai_llm import openai_client
from media_worker.providers.settings import ProviderSettings


@dataclass(frozen=True)
class ProviderClients:
    deepgram: AsyncDeepgramClient
    openai: AsyncOpenAI
    cartesia: AsyncCartesia

    @classmethod
    def from_settings(cls, settings: ProviderSettings, *, openai_timeout_s: float = 30.0) -> ProviderClients:
        """Blocking (see module doc): call before serving, or in a thread."""
        return cls(
            deepgram=deepgram_client(
                settings.deepgram_api_key, ws_url=settings.deepgram_ws_url, http_url=settings.deepgram_http_url
            ),
            openai=openai_client(
                settings.openai_api_key, base_url=settings.openai_base_url, timeout_s=openai_timeout_s
            ),
            cartesia=cartesia_client(
                settings.cartesia_api_key, base_url=settings.cartesia_base_url, ws_url=settings.cartesia_ws_url
            ),
        )

    def __repr__(self) -> str:
        return "ProviderClients(deepgram, openai, cartesia)"

    async def aclose(self) -> None:
        await self.openai.close()
        await self.cartesia.close()
