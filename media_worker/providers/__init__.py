"""Provider roles (small Protocols), their SDK adapters, settings and the one retry policy."""

from typing import TYPE_CHECKING

from media_worker.providers.base import (
    Finished,
    LanguageModel,
    LlmEvent,
    SpeechStarted,
    SpeechToText,
    SttEvent,
    TextDelta,
    TextToSpeech,
    ToolCallRequested,
    Transcript,
    TtsUtterance,
    Usage,
    UtteranceEnd,
    Word,
)
from media_worker.providers.cartesia import CartesiaTextToSpeech, CartesiaUtterance, cartesia_client
from media_worker.providers.clients import ProviderClients
from media_worker.providers.deepgram import DeepgramSpeechToText, deepgram_client
from media_worker.providers.openai_llm import OpenAILanguageModel, openai_client
from media_worker.providers.retry import NO_RETRY, RetryPolicy, retryable_status
from media_worker.providers.settings import ProviderSettings

__all__ = [
    "NO_RETRY",
    "CartesiaTextToSpeech",
    "CartesiaUtterance",
    "DeepgramSpeechToText",
    "Finished",
    "LanguageModel",
    "LlmEvent",
    "OpenAILanguageModel",
    "ProviderClients",
    "ProviderSettings",
    "RetryPolicy",
    "SpeechStarted",
    "SpeechToText",
    "SttEvent",
    "TextDelta",
    "TextToSpeech",
    "ToolCallRequested",
    "Transcript",
    "TtsUtterance",
    "Usage",
    "UtteranceEnd",
    "Word",
    "cartesia_client",
    "deepgram_client",
    "openai_client",
    "retryable_status",
]

if TYPE_CHECKING:  # mypy proves each adapter satisfies its role
    _stt: type[SpeechToText] = DeepgramSpeechToText
    _llm: type[LanguageModel] = OpenAILanguageModel
    _tts: type[TextToSpeech] = CartesiaTextToSpeech
    _utterance: type[TtsUtterance] = CartesiaUtterance
