"""Per-assistant provider choice for the local worker: each role (STT, LLM, TTS) follows the
assistant's ``stt.provider`` / ``llm.provider`` / ``tts.provider``.

``deepgram`` / ``openai`` / ``openai_compatible`` / ``cartesia`` go through the worker's shared SDK
clients (:class:`SdkProviderFactory`); ``whisper_local`` / ``llama_local`` / ``piper_local`` use the
offline engines (``media_worker.providers.offline``), loaded once per process before serving. A
role whose engine was not loaded raises a non-retryable :class:`ProviderError` naming it, so a
misconfigured worker fails the call loudly instead of silently using another vendor.

``media_worker.app.build_app`` takes this as its ``providers=`` (see :mod:`devstack.worker`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from media_worker.runtime.providers import SdkProviderFactory
from media_worker.runtime.session import CallProviders
from switchboard.errors import ProviderError
from switchboard.models import Assistant

if TYPE_CHECKING:
    from media_worker.providers.offline import (
        LlamaCppLanguageModel,
        LlamaEngine,
        PiperEngine,
        PiperTextToSpeech,
        WhisperEngine,
        WhisperSpeechToText,
    )

ENV_LOCAL_MODELS = "SWITCHBOARD_LOCAL_MODELS"
"""Comma-separated offline engines to load at start-up: ``whisper``, ``llama``, ``piper``."""
LOCAL_ENGINES = ("whisper", "llama", "piper")
LOCAL_PROVIDER_ENGINE = {"whisper_local": "whisper", "llama_local": "llama", "piper_local": "piper"}


def local_models_from_env(env: Mapping[str, str]) -> frozenset[str]:
    """The engines named in ``SWITCHBOARD_LOCAL_MODELS``; ``ValueError`` for an unknown name."""
    names = frozenset(n.strip() for n in env.get(ENV_LOCAL_MODELS, "").split(",") if n.strip())
    unknown = sorted(names - set(LOCAL_ENGINES))
    if unknown:
        raise ValueError(f"{ENV_LOCAL_MODELS}: unknown engine(s) {', '.join(unknown)}; known: {LOCAL_ENGINES}")
    return names


def engines_needed(assistant: Assistant) -> frozenset[str]:
    """The offline engines an assistant's providers need."""
    providers = (assistant.stt.provider, assistant.llm.provider, assistant.tts.provider)
    return frozenset(LOCAL_PROVIDER_ENGINE[p] for p in providers if p in LOCAL_PROVIDER_ENGINE)


@dataclass
class OfflineEngines:
    """The offline models this process loaded (``None``: not loaded)."""

    whisper: WhisperEngine | None = None
    llama: LlamaEngine | None = None
    piper: PiperEngine | None = None

    @classmethod
    def load(cls, names: frozenset[str]) -> OfflineEngines:
        """Blocking (about a second per engine): call before serving, or in a thread."""
        from media_worker.providers.offline import LlamaEngine, PiperEngine, WhisperEngine

        return cls(
            whisper=WhisperEngine.load(cpu_threads=min(2, os.cpu_count() or 1)) if "whisper" in names else None,
            llama=LlamaEngine.load(n_threads=min(2, os.cpu_count() or 1)) if "llama" in names else None,
            piper=PiperEngine.load() if "piper" in names else None,
        )

    def close(self) -> None:
        for engine in (self.whisper, self.llama, self.piper):
            if engine is not None:
                engine.close()


def _missing(provider: str) -> ProviderError:
    engine = LOCAL_PROVIDER_ENGINE[provider]
    return ProviderError(
        provider, f"the {engine} engine is not loaded on this worker (set {ENV_LOCAL_MODELS})", retryable=False
    )


class RoutingProviderFactory:
    """SDK providers for vendor roles, offline engines for ``*_local`` roles (see module doc)."""

    def __init__(self, sdk: SdkProviderFactory, offline: OfflineEngines) -> None:
        self._sdk = sdk
        self._offline = offline

    async def for_call(self, assistant: Assistant) -> CallProviders:
        providers = await self._sdk.for_call(assistant)
        if assistant.stt.provider == "whisper_local":
            new_stt = self._whisper_stt(assistant)
            providers = dataclasses.replace(providers, stt=new_stt(), new_stt=new_stt)
        if assistant.llm.provider == "llama_local":
            providers = dataclasses.replace(providers, llm=self._llama_llm(assistant))
        if assistant.tts.provider == "piper_local":
            providers = dataclasses.replace(providers, tts=self._piper_tts())
        return providers

    def _whisper_stt(self, assistant: Assistant) -> Callable[[], WhisperSpeechToText]:
        from media_worker.providers.offline import WhisperSpeechToText

        engine = self._offline.whisper
        if engine is None:
            raise _missing("whisper_local")
        tt = assistant.turn_taking

        def new_stt() -> WhisperSpeechToText:
            return WhisperSpeechToText(engine, endpointing_ms=tt.endpointing_ms, utterance_end_ms=tt.utterance_end_ms)

        return new_stt

    def _llama_llm(self, assistant: Assistant) -> LlamaCppLanguageModel:
        from media_worker.providers.offline import LlamaCppLanguageModel

        if self._offline.llama is None:
            raise _missing("llama_local")
        return LlamaCppLanguageModel(
            self._offline.llama, max_tokens=assistant.llm.max_tokens, temperature=assistant.llm.temperature
        )

    def _piper_tts(self) -> PiperTextToSpeech:
        from media_worker.providers.offline import PiperTextToSpeech

        if self._offline.piper is None:
            raise _missing("piper_local")
        return PiperTextToSpeech(self._offline.piper)

    async def aclose(self) -> None:
        await self._sdk.aclose()
