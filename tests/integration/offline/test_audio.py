"""mu-law codec tables and resampling for the offline providers (no models needed)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from media_worker.providers.offline import deps
from media_worker.providers.offline.audio import mulaw_to_pcm16, pcm16_to_mulaw, resample

ALL_CODES = bytes(range(256))


def test_every_mulaw_code_survives_a_decode_encode_round_trip() -> None:
    # given every mu-law byte except 0x7F (negative zero, which encodes back as 0xFF, positive zero)
    codes = bytes(c for c in ALL_CODES if c != 0x7F)
    # when decoded to int16 and encoded again
    again = pcm16_to_mulaw(mulaw_to_pcm16(codes))
    # then the bytes are unchanged
    assert again == codes


def test_codec_matches_the_reference_audioop_tables() -> None:
    # given the reference implementation (stdlib audioop on 3.11/3.12, audioop-lts on 3.13+)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    every_sample = np.arange(-32768, 32768, dtype=np.int16)
    # when both decode every code and encode every 16-bit sample
    # then they agree exactly
    assert mulaw_to_pcm16(ALL_CODES).tobytes() == audioop.ulaw2lin(ALL_CODES, 2)
    assert pcm16_to_mulaw(every_sample) == audioop.lin2ulaw(every_sample.tobytes(), 2)


def test_resampling_8k_to_16k_keeps_the_pitch_and_doubles_the_samples() -> None:
    if deps.missing(("soxr",)):
        pytest.skip("soxr not installed: run scripts/install_demo_deps.sh")
    # given one second of a 440 Hz tone at 8 kHz
    t = np.arange(8000) / 8000
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    # when resampled to 16 kHz
    out = resample(tone, 8000, 16000)
    # then it has twice the samples and its spectral peak is still at 440 Hz
    assert out.dtype == np.float32
    assert out.size == 16000
    peak_hz = np.argmax(np.abs(np.fft.rfft(out))) * 16000 / out.size
    assert peak_hz == pytest.approx(440, abs=2)
