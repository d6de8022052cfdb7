"""Offline providers for the no-keys local default: Whisper STT, a llama.cpp LLM and Piper TTS,
behind the same Protocols as Deepgram, OpenAI and Cartesia. Model weights ship inside registry
packages (see ``deps``). Each ``*Engine`` is loaded once per process (blocking, ~1 s) and shared
by every call's adapter, like an SDK client."""

from typing import TYPE_CHECKING

from media_worker.providers.base import LanguageModel, SpeechToText, TextToSpeech, TtsUtterance
from media_worker.providers.offline.local_llm import LlamaCppLanguageModel, LlamaEngine
from media_worker.providers.offline.piper_tts import PiperEngine, PiperTextToSpeech, PiperUtterance
from media_worker.providers.offline.whisper_stt import WhisperEngine, WhisperOptions, WhisperSpeechToText

__all__ = [
    "LlamaCppLanguageModel",
    "LlamaEngine",
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
