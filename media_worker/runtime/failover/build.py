"""Wraps a call's primary SDK providers with the failover policy, building the assistant's
secondaries on the worker's shared SDK clients (a client per extra endpoint, built once in a thread)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable

from deepgram import AsyncDeepgramClient
from openai import AsyncOpenAI

from media_worker.providers import (
    NO_RETRY,
    CartesiaTextToSpeech,
    DeepgramSpeechToText,
    LanguageModel,
    OpenAILanguageModel,
    ProviderClients,
    RetryPolicy,
    SpeechToText,
    TextToSpeech,
    deepgram_client,
    openai_client,
)
from media_worker.providers.openai_tts import OpenAITextToSpeech
from media_worker.runtime.breakers import BreakerBoard
from media_worker.runtime.session import CallProviders
from switchboard.models import Assistant, LlmSettings, SttSettings, TtsSettings

from . import CallFailover
from .llm import FailoverLanguageModel, LlmEndpoint
from .policy import FailoverEndpoints, FailoverPolicy
from .stt import SttEndpoint, SttFailover
from .tts import FailoverTextToSpeech, TtsEndpoint

log = logging.getLogger("media_worker.resilience")


class SdkFailover:
    def __init__(
        self,
        clients: ProviderClients,
        *,
        openai_api_key: str,
        retry: RetryPolicy,
        breakers: BreakerBoard,
        endpoints: FailoverEndpoints,
    ) -> None:
        self._clients = clients
        self._openai_key = openai_api_key
        self._retry = retry
        self.breakers = breakers
        self.endpoints = endpoints
        self._deepgram: dict[str, AsyncDeepgramClient] = {}
        self._openai: dict[tuple[str, str], AsyncOpenAI] = {}

    async def wrap(self, assistant: Assistant, base: CallProviders) -> CallProviders:
        """``base`` unchanged when the assistant names no secondary; else the failover wrappers."""
        r = assistant.resilience
        if not (r.stt or r.llm_secondary or r.tts_secondary):
            return base
        policy = FailoverPolicy.from_settings(r)
        failover = CallFailover()
        stt, llm, tts = base.stt, base.llm, base.tts
        board, config = self.breakers, policy.breaker
        if r.stt and base.new_stt is not None:
            # The plan is the retry: each opener makes one attempt, so a refusing endpoint costs
            # stt_reconnect_attempts handshakes (not that times the adapter's own retries).
            primary = await self._stt(assistant, assistant.stt, None)
            assert primary is not None  # the SDK factory's primary STT is Deepgram
            name, opener = primary
            endpoints = [SttEndpoint(name, opener, board.get(name, config))]
            for index, settings in enumerate(r.stt):
                built = await self._stt(assistant, settings, index)
                if built is not None:
                    name, opener = built
                    endpoints.append(SttEndpoint(name, opener, board.get(name, config)))
            failover.stt = SttFailover(endpoints, policy=policy, log=failover.log)
            stt = failover.stt.first()
        if r.llm_secondary is not None:
            primary_name = f"llm:{assistant.llm.base_url or 'openai'}:{assistant.llm.model}"
            name, model = await self._llm(r.llm_secondary)
            failover.llm = FailoverLanguageModel(
                LlmEndpoint(primary_name, base.llm, board.get(primary_name, config)),
                LlmEndpoint(name, model, board.get(name, config)),
                deadline_s=policy.first_token_deadline_s,
                log=failover.log,
            )
            llm = failover.llm
        if r.tts_secondary is not None:
            secondary = self._tts(assistant, r.tts_secondary)
            if secondary is not None:
                primary_name = f"tts:{assistant.tts.provider}:{assistant.tts.model}"
                name, voice = secondary
                failover.tts = FailoverTextToSpeech(
                    TtsEndpoint(primary_name, base.tts, board.get(primary_name, config)),
                    TtsEndpoint(name, voice, board.get(name, config)),
                    log=failover.log,
                )
                tts = failover.tts
        return dataclasses.replace(base, stt=stt, llm=llm, tts=tts, failover=failover)

    async def _stt(
        self, assistant: Assistant, settings: SttSettings, index: int | None
    ) -> tuple[str, Callable[[], SpeechToText]] | None:
        """An opener for the primary (``index`` None) or the ``index``-th secondary STT."""
        if settings.provider != "deepgram":
            log.warning("secondary stt not supported by the SDK factory", extra={"provider": settings.provider})
            return None
        url = None if index is None else self.endpoints.deepgram_url(index)
        client = self._clients.deepgram if url is None else await self._deepgram_client(url)
        tt = assistant.turn_taking

        def opener() -> SpeechToText:
            return DeepgramSpeechToText(
                client,
                model=settings.model,
                language=assistant.language,
                endpointing_ms=tt.endpointing_ms,
                utterance_end_ms=tt.utterance_end_ms,
                keyterms=settings.keyterms or assistant.stt.keyterms,
                retry=NO_RETRY,
            )

        return f"stt:deepgram:{url or 'primary'}:{settings.model}", opener

    async def _llm(self, settings: LlmSettings) -> tuple[str, LanguageModel]:
        url = str(settings.base_url) if settings.base_url is not None else self.endpoints.openai_base_url
        client = self._clients.openai
        if url is not None:
            key = self.endpoints.openai_api_key or self._openai_key
            client = self._openai.get((url, key)) or await self._openai_client(url, key)
        model = OpenAILanguageModel(
            client, model=settings.model, temperature=settings.temperature, max_tokens=settings.max_tokens,
            retry=self._retry,
        )  # fmt: skip
        return f"llm:{url or 'openai'}:{settings.model}", model

    def _tts(self, assistant: Assistant, settings: TtsSettings) -> tuple[str, TextToSpeech] | None:
        name = f"tts:{settings.provider}:{settings.model}"
        if settings.provider == "openai_tts":
            voice = OpenAITextToSpeech(self._clients.openai, voice=settings.voice.id, model=settings.model,
                                       speed=settings.voice.speed if settings.voice.speed != 1.0 else None,
                                       retry=self._retry)  # fmt: skip
            return name, voice
        if settings.provider == "cartesia":
            return name, CartesiaTextToSpeech(self._clients.cartesia, voice_id=settings.voice.id,
                                              model_id=settings.model, language=assistant.language.split("-")[0],
                                              retry=self._retry)  # fmt: skip
        log.warning("secondary tts not supported by the SDK factory", extra={"provider": settings.provider})
        return None

    async def _deepgram_client(self, url: str) -> AsyncDeepgramClient:
        client = self._deepgram.get(url)
        if client is None:
            http_url = url.replace("wss://", "https://").replace("ws://", "http://")
            key = self.endpoints.deepgram_api_key
            client = await asyncio.to_thread(deepgram_client, key, ws_url=url, http_url=http_url)
            self._deepgram[url] = client
        return client

    async def _openai_client(self, url: str, key: str) -> AsyncOpenAI:
        client = await asyncio.to_thread(openai_client, key, base_url=url)
        self._openai[(url, key)] = client
        return client

    async def aclose(self) -> None:
        for client in self._openai.values():
            await client.close()
