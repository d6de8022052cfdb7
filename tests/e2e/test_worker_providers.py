"""The local worker's per-assistant provider choice: every role follows the assistant's settings."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from devstack.worker import with_placeholder_keys
from devstack.worker_providers import RoutingProviderFactory
from media_worker.providers import CartesiaTextToSpeech, DeepgramSpeechToText, OpenAILanguageModel, ProviderClients
from media_worker.providers import ProviderSettings as Settings
from media_worker.providers.offline import LlamaCppLanguageModel, PiperTextToSpeech, WhisperSpeechToText
from media_worker.runtime.providers import SdkProviderFactory
from switchboard.errors import ProviderError
from switchboard.models import Assistant
from switchboard.templates import apply_template


class Engines:
    """Stands in for OfflineEngines: the adapters only keep a reference until a call connects."""

    whisper: Any = object()
    llama: Any = object()
    piper: Any = object()


def assistant(template: str, **fields: Any) -> Assistant:
    return Assistant.from_wire(apply_template(template, {"assistant_id": "as_1", "tenant_id": "tn_1", "name": "A",
                                                         "system_prompt": "Help.", **fields}))  # fmt: skip


@pytest.fixture(scope="module")
def sdk() -> SdkProviderFactory:
    # no keys at all: the worker still builds its SDK clients (placeholders), as when every role is offline
    settings = with_placeholder_keys(Settings())
    return SdkProviderFactory(ProviderClients.from_settings(settings), openai_api_key=settings.openai_api_key)


def test_offline_roles_use_the_offline_engines(sdk: SdkProviderFactory) -> None:
    factory = RoutingProviderFactory(sdk, cast(Any, Engines()))
    providers = asyncio.run(factory.for_call(assistant("offline-local")))
    assert isinstance(providers.stt, WhisperSpeechToText)
    assert isinstance(providers.llm, LlamaCppLanguageModel)
    assert isinstance(providers.tts, PiperTextToSpeech)
    assert providers.new_stt is not None and isinstance(providers.new_stt(), WhisperSpeechToText)


def test_each_role_follows_its_own_setting(sdk: SdkProviderFactory) -> None:
    # given an offline assistant whose LLM is OpenAI (only OPENAI_API_KEY set, say)
    mixed = assistant("offline-local", llm={"provider": "openai", "model": "gpt-4o-mini"})
    providers = asyncio.run(RoutingProviderFactory(sdk, cast(Any, Engines())).for_call(mixed))
    assert isinstance(providers.stt, WhisperSpeechToText)
    assert isinstance(providers.llm, OpenAILanguageModel)
    assert isinstance(providers.tts, PiperTextToSpeech)
    vendor = asyncio.run(RoutingProviderFactory(sdk, None).for_call(assistant("best-of-breed-english")))
    assert isinstance(vendor.stt, DeepgramSpeechToText) and isinstance(vendor.tts, CartesiaTextToSpeech)


def test_an_offline_role_without_loaded_engines_fails_loudly(sdk: SdkProviderFactory) -> None:
    with pytest.raises(ProviderError) as raised:
        asyncio.run(RoutingProviderFactory(sdk, None).for_call(assistant("offline-local")))
    assert raised.value.retryable is False and "SWITCHBOARD_LOCAL_MODELS" in str(raised.value)
