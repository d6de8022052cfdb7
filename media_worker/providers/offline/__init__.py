"""Offline providers for the no-keys local default: Whisper STT, a llama.cpp LLM and Piper TTS,
behind the same Protocols as Deepgram, OpenAI and Cartesia. Model weights ship inside registry
packages (see ``deps``). Each ``*Engine`` is loaded once per process (blocking, ~1 s) and shared
by every call's adapter, like an SDK client."""

from media_worker.providers.offline.piper_tts import PiperEngine, PiperTextToSpeech, PiperUtterance
from media_worker.providers.offline.whisper_stt import WhisperEngine, WhisperOptions, WhisperSpeechToText

__all__ = [
    "PiperEngine",
    "PiperTextToSpeech",
    "PiperUtterance",
    "WhisperEngine",
    "WhisperOptions",
    "WhisperSpeechToText",
]
