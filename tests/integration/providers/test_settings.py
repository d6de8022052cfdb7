"""ProviderSettings from the environment, and the shared SDK clients built from them."""

from __future__ import annotations

import pytest

from fakes import FakeCartesia, FakeDeepgram, FakeOpenAI, TextReply
from fakes.audio import frames, silence, speech_like_mulaw
from media_worker.providers import (
    CartesiaTextToSpeech,
    DeepgramSpeechToText,
    LanguageModel,
    OpenAILanguageModel,
    ProviderClients,
    ProviderSettings,
    SpeechToText,
    TextDelta,
    TextToSpeech,
)


def test_unset_variables_keep_the_production_endpoints() -> None:
    # given an empty environment, when settings are read
    settings = ProviderSettings.from_env({})

    # then the vendors' production endpoints are used and every key is reported missing
    assert settings.deepgram_ws_url == "wss://api.deepgram.com"
    assert settings.openai_base_url == "https://api.openai.com/v1"
    assert settings.cartesia_ws_url == "wss://api.cartesia.ai"
    assert settings.missing_keys() == ["CARTESIA_API_KEY", "DEEPGRAM_API_KEY", "OPENAI_API_KEY"]


def test_keys_never_appear_in_repr() -> None:
    # given settings holding secrets
    settings = ProviderSettings.from_env(
        {"DEEPGRAM_API_KEY": "dg-secret", "OPENAI_API_KEY": "sk-secret", "CARTESIA_API_KEY": "ca-secret"}
    )

    # when rendered for a log line, then no key is visible but the endpoints are
    for text in (repr(settings), str(settings), f"{settings}"):
        assert "secret" not in text
        assert "api.deepgram.com" in text
    assert settings.missing_keys() == []


@pytest.fixture
def environment(deepgram_fake: FakeDeepgram, openai_fake: FakeOpenAI, cartesia_fake: FakeCartesia) -> dict[str, str]:
    return {
        "DEEPGRAM_API_KEY": "test-deepgram-key",
        "DEEPGRAM_WS_URL": deepgram_fake.ws_url,
        "DEEPGRAM_HTTP_URL": deepgram_fake.http_url,
        "OPENAI_API_KEY": "test-openai-key",
        "OPENAI_BASE_URL": openai_fake.base_url,
        "CARTESIA_API_KEY": "test-cartesia-key",
        "CARTESIA_BASE_URL": cartesia_fake.http_url,
        "CARTESIA_WS_URL": cartesia_fake.ws_url,
    }


@pytest.fixture
def clients(environment: dict[str, str]) -> ProviderClients:
    return ProviderClients.from_settings(ProviderSettings.from_env(environment))


async def test_endpoints_from_the_environment_reach_all_three_providers(
    clients: ProviderClients, deepgram_fake: FakeDeepgram, openai_fake: FakeOpenAI, cartesia_fake: FakeCartesia
) -> None:
    # given adapters built on clients configured only through environment variables
    stt = DeepgramSpeechToText(clients.deepgram)
    llm = OpenAILanguageModel(clients.openai, model="gpt-test")
    tts = CartesiaTextToSpeech(clients.cartesia, voice_id="voice-1")
    openai_fake.push(TextReply("Hi."))
    assert isinstance(stt, SpeechToText)
    assert isinstance(llm, LanguageModel)
    assert isinstance(tts, TextToSpeech)

    # when each is used once
    await stt.connect()
    for frame in frames(silence(0.1) + speech_like_mulaw(0.2)):
        await stt.send_audio(frame)
    await stt.aclose()
    deltas = [e async for e in llm.stream([{"role": "user", "content": "Hello"}]) if isinstance(e, TextDelta)]
    await tts.connect()
    await tts.aclose()
    await clients.aclose()

    # then every fake was reached with its key
    await deepgram_fake.wait_for(lambda: deepgram_fake.last_session.closed)
    assert deepgram_fake.last_session.authorization == "Token test-deepgram-key"
    assert deepgram_fake.last_session.audio_bytes > 0
    assert deltas == [TextDelta("Hi.")]
    assert cartesia_fake.connections[0].authorization == "Bearer test-cartesia-key"
