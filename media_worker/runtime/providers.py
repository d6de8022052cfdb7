"""Per-call provider instances, built from the assistant's settings on the worker's shared SDK clients."""

from __future__ import annotations

import asyncio
from typing import Protocol

from openai import AsyncOpenAI

from media_worker.providers import (
    CartesiaTextToSpeech,
    DeepgramSpeechToText,
    OpenAILanguageModel,
    ProviderClients,
    RetryPolicy,
    SpeechToText,
    openai_client,
)
from switchboard.models import Assistant

from .breakers import BreakerBoard
from .failover import FailoverEndpoints
from .failover.build import SdkFailover
from .session import CallProviders


class ProviderFactory(Protocol):
    async def for_call(self, assistant: Assistant) -> CallProviders: ...


class SdkProviderFactory:
    """Deepgram + OpenAI(-compatible) + Cartesia through the real SDKs.

    An assistant with its own ``llm.base_url`` (Groq, vLLM, llama.cpp...) gets a client for that
    endpoint, built once per URL in a thread (building one costs tens of ms of CPU) and reused.
    """

    def __init__(
        self,
        clients: ProviderClients,
        *,
        openai_api_key: str,
        retry: RetryPolicy | None = None,
        breakers: BreakerBoard | None = None,
        endpoints: FailoverEndpoints | None = None,
    ) -> None:
        self._clients = clients
        self._openai_key = openai_api_key
        self._retry = retry or RetryPolicy()
        self._llm_clients: dict[str, AsyncOpenAI] = {}
        self.failover = SdkFailover(
            clients, openai_api_key=openai_api_key, retry=self._retry,
            breakers=breakers or BreakerBoard(), endpoints=endpoints or FailoverEndpoints(),
        )  # fmt: skip

    async def for_call(self, assistant: Assistant) -> CallProviders:
        tt = assistant.turn_taking

        def new_stt() -> SpeechToText:
            return DeepgramSpeechToText(
                self._clients.deepgram,
                model=assistant.stt.model,
                language=assistant.language,
                endpointing_ms=tt.endpointing_ms,
                utterance_end_ms=tt.utterance_end_ms,
                keyterms=assistant.stt.keyterms,
                retry=self._retry,
            )

        llm = OpenAILanguageModel(
            await self._llm_client(assistant),
            model=assistant.llm.model,
            temperature=assistant.llm.temperature,
            max_tokens=assistant.llm.max_tokens,
            retry=self._retry,
        )
        tts = CartesiaTextToSpeech(
            self._clients.cartesia,
            voice_id=assistant.tts.voice.id,
            model_id=assistant.tts.model,
            language=assistant.language.split("-")[0],
            retry=self._retry,
        )
        base = CallProviders(stt=new_stt(), llm=llm, tts=tts, new_stt=new_stt)
        return await self.failover.wrap(assistant, base)  # the assistant's secondaries, if it names any

    async def _llm_client(self, assistant: Assistant) -> AsyncOpenAI:
        if assistant.llm.base_url is None:
            return self._clients.openai
        url = str(assistant.llm.base_url)
        client = self._llm_clients.get(url)
        if client is None:
            client = await asyncio.to_thread(openai_client, self._openai_key, base_url=url)
            self._llm_clients[url] = client
        return client

    async def aclose(self) -> None:
        for client in self._llm_clients.values():
            await client.close()
        await self.failover.aclose()
