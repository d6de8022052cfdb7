"""Offline speech and language models (real weights shipped in registry packages).

Tests marked ``offline_models`` load the real models once per session and SKIP, naming what to
install, only when the offline dependencies are absent (``scripts/install_demo_deps.sh``).
Engines are loaded and closed outside any event loop: loading blocks for about a second.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from media_worker.providers.offline import PiperEngine, WhisperEngine, deps
from media_worker.providers.offline.local_llm import LlamaEngine


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "offline_models: needs the offline model packages (requirements-demo*.txt)")


def require_offline(modules: tuple[str, ...]) -> None:
    absent = deps.missing(modules)
    if absent:
        pytest.skip(f"offline models not installed ({', '.join(absent)}): run scripts/install_demo_deps.sh")


@pytest.fixture(scope="session")
def whisper_engine() -> Iterator[WhisperEngine]:
    require_offline(deps.SPEECH_MODULES)
    engine = WhisperEngine.load()
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def piper_engine() -> Iterator[PiperEngine]:
    require_offline(deps.VOICE_MODULES)
    engine = PiperEngine.load(deterministic=True)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def llama_engine() -> Iterator[LlamaEngine]:
    require_offline(deps.LLM_MODULES)
    engine = LlamaEngine.load()
    yield engine
    engine.close()
