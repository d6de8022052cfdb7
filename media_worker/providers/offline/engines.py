"""The three offline engines a worker process shares across its calls, and their settings.

Like ``ProviderClients`` for the SDKs: load once at process start (blocking, ~2 s on 2 cores:
Whisper ~1.1 s, Piper ~0.7 s, llama.cpp ~0.2 s), then build per-call adapters on them::

    engines = await asyncio.to_thread(OfflineEngines.load, OfflineSettings.from_env(os.environ))
    stt = WhisperSpeechToText(engines.whisper, endpointing_ms=500, utterance_end_ms=1000)
    llm = LlamaCppLanguageModel(engines.llama, max_tokens=150, temperature=0.0)
    tts = PiperTextToSpeech(engines.piper)
    await llm.prewarm(messages[:1], tools)  # optional, at call start
    ...
    engines.close()  # at shutdown
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from media_worker.providers.offline.local_llm import LlamaEngine
from media_worker.providers.offline.piper_tts import PiperEngine
from media_worker.providers.offline.whisper_stt import WhisperEngine, WhisperOptions

ENV_VARS = {
    "llm_model_path": "SWITCHBOARD_LLM_GGUF",
    "llm_n_ctx": "SWITCHBOARD_LLM_N_CTX",
    "cpu_threads": "SWITCHBOARD_OFFLINE_THREADS",
    "llm_threads": "SWITCHBOARD_LLM_THREADS",
    "whisper_beam_size": "SWITCHBOARD_WHISPER_BEAM_SIZE",
}
"""Also read by ``deps``: ``SWITCHBOARD_OFFLINE_MODELS`` (where the --no-deps model packages are)."""


@dataclass(frozen=True)
class OfflineSettings:
    llm_model_path: Path | None = None
    """A GGUF chat model (ChatML template) instead of the bundled SmolLM2-135M-Instruct."""
    llm_n_ctx: int = 2048
    cpu_threads: int = 2
    """Whisper's threads (it is on the critical path, and runs alone while the caller speaks)."""
    llm_threads: int = 1
    """llama.cpp threads: see ``LlamaEngine.load``."""
    whisper_beam_size: int = 5
    deterministic_voice: bool = False
    """Identical TTS audio on every run (tests)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> OfflineSettings:
        """Read ENV_VARS; unset or blank ones keep the defaults. ValueError on a malformed number."""
        values = {name: environ[var].strip() for name, var in ENV_VARS.items() if environ.get(var, "").strip()}
        return cls(
            llm_model_path=Path(values["llm_model_path"]) if "llm_model_path" in values else None,
            llm_n_ctx=int(values.get("llm_n_ctx", cls.llm_n_ctx)),
            cpu_threads=int(values.get("cpu_threads", cls.cpu_threads)),
            llm_threads=int(values.get("llm_threads", cls.llm_threads)),
            whisper_beam_size=int(values.get("whisper_beam_size", cls.whisper_beam_size)),
        )


@dataclass(frozen=True)
class OfflineEngines:
    whisper: WhisperEngine
    llama: LlamaEngine
    piper: PiperEngine

    @classmethod
    def load(cls, settings: OfflineSettings | None = None) -> OfflineEngines:
        """Blocking (see module doc). Raises ProviderError(retryable=False) naming what to
        install when the offline packages are missing."""
        s = settings or OfflineSettings()
        whisper = WhisperEngine.load(cpu_threads=s.cpu_threads, options=WhisperOptions(beam_size=s.whisper_beam_size))
        llama = LlamaEngine.load(model_path=s.llm_model_path, n_ctx=s.llm_n_ctx, n_threads=s.llm_threads)
        piper = PiperEngine.load(deterministic=s.deterministic_voice)
        return cls(whisper=whisper, llama=llama, piper=piper)

    def __repr__(self) -> str:
        return "OfflineEngines(whisper, llama, piper)"

    def close(self) -> None:
        for engine in (self.whisper, self.llama, self.piper):
            engine.close()
