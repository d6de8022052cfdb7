"""Per-assistant provider choice for the local worker: each role (STT, LLM, TTS) follows the
assistant's ``stt.provider`` / ``llm.provider`` / ``tts.provider``.

``deepgram`` / ``openai`` / ``openai_compatible`` / ``cartesia`` go through the worker's shared SDK
clients (:class:`SdkProviderFactory`); ``whisper_local`` / ``llama_local`` / ``piper_local`` use the
offline engines (``media_worker.providers.offline.engines.OfflineEngines``), loaded once per process
before serving when ``SWITCHBOARD_LOCAL_MODELS=1``. A local role on a worker without the engines
raises a non-retryable :class:`ProviderError` naming the setting, so a misconfigured worker fails the
call loudly instead of silently using another vendor.

``media_worker.app.build_app`` takes this as its ``providers=`` (see :mod:`devstack.worker`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from media_worker.runtime.providers import SdkProviderFactory
from media_worker.runtime.session import CallProviders
from switchboard.errors import ProviderError
from switchboard.models import Assistant

if TYPE_CHECKING:
    from media_worker.providers.offline import LlamaCppLanguageModel, PiperTextToSpeech, WhisperSpeechToText
    from media_worker.providers.offline.engines import OfflineEngines

ENV_LOCAL_MODELS = "SWITCHBOARD_LOCAL_MODELS"
"""``1``: load the offline engines (``media_worker.providers.offline.OfflineEngines``) before serving."""
LOCAL_PROVIDER_ENGINE = {"whisper_local": "whisper", "llama_local": "llama", "piper_local": "piper"}


def wants_local_models(env: Mapping[str, str]) -> bool:
    return env.get(ENV_LOCAL_MODELS, "").strip().lower() in {"1", "true", "yes"}


def load_engines(env: Mapping[str, str]) -> OfflineEngines | None:
    """Blocking (about 2 s): the three offline engines, configured from ``env``, if asked for."""
    if not wants_local_models(env):
        return None
    from media_worker.providers.offline.engines import OfflineEngines, OfflineSettings

    return OfflineEngines.load(OfflineSettings.from_env(env))


def _missing(provider: str) -> ProviderError:
    engine = LOCAL_PROVIDER_ENGINE[provider]
    return ProviderError(
        provider, f"the offline {engine} engine is not loaded on this worker (set {ENV_LOCAL_MODELS}=1)",
        retryable=False,
    )


class RoutingProviderFactory:
    """SDK providers for vendor roles, offline engines for ``*_local`` roles (see module doc)."""

    def __init__(self, sdk: SdkProviderFactory, offline: OfflineEngines | None) -> None:
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

        if self._offline is None:
            raise _missing("whisper_local")
        engine = self._offline.whisper
        tt = assistant.turn_taking

        def new_stt() -> WhisperSpeechToText:
            return WhisperSpeechToText(engine, endpointing_ms=tt.endpointing_ms, utterance_end_ms=tt.utterance_end_ms)

        return new_stt

    def _llama_llm(self, assistant: Assistant) -> LlamaCppLanguageModel:
        from media_worker.providers.offline import LlamaCppLanguageModel

        if self._offline is None:
            raise _missing("llama_local")
        return LlamaCppLanguageModel(
            self._offline.llama, max_tokens=assistant.llm.max_tokens, temperature=assistant.llm.temperature
        )

    def _piper_tts(self) -> PiperTextToSpeech:
        from media_worker.providers.offline import PiperTextToSpeech

        if self._offline is None:
            raise _missing("piper_local")
        return PiperTextToSpeech(self._offline.piper)

    async def aclose(self) -> None:
        await self._sdk.aclose()
