"""Offline engine settings and the missing-dependency error (no models loaded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from media_worker.providers.offline import OfflineSettings, WhisperEngine, deps
from switchboard.errors import ProviderError


def test_settings_come_from_the_environment_with_defaults() -> None:
    settings = OfflineSettings.from_env(
        {"SWITCHBOARD_LLM_GGUF": " /models/qwen.gguf ", "SWITCHBOARD_OFFLINE_THREADS": "4", "OTHER": "x"}
    )
    assert settings.llm_model_path == Path("/models/qwen.gguf")
    assert settings.cpu_threads == 4
    assert (settings.llm_n_ctx, settings.whisper_beam_size) == (2048, 5)
    assert OfflineSettings.from_env({"SWITCHBOARD_LLM_N_CTX": ""}) == OfflineSettings()


def test_a_malformed_number_is_rejected() -> None:
    with pytest.raises(ValueError):
        OfflineSettings.from_env({"SWITCHBOARD_OFFLINE_THREADS": "two"})


def test_missing_model_packages_raise_a_clear_non_retryable_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the --no-deps model packages directory points somewhere empty
    monkeypatch.setenv(deps.MODEL_DIR_ENV, str(tmp_path))
    if "silero-vad (--no-deps)" not in deps.missing():
        pytest.skip("silero_vad is importable from site-packages here")
    # when the speech engine is loaded
    with pytest.raises(ProviderError) as raised:
        WhisperEngine.load()
    # then the error names what to install and how, and is not worth retrying
    assert raised.value.provider == "whisper_local"
    assert "silero-vad" in str(raised.value) and "install_demo_deps.sh" in str(raised.value)
    assert not raised.value.retryable
