"""The secondary voice's 24 kHz -> 8 kHz resampler: keeps speech, removes what would alias."""

from __future__ import annotations

import numpy as np

from media_worker.providers.openai_tts import Downsampler


def tone(hz: float, seconds: float = 0.5, rate: int = 24_000, amplitude: float = 10_000.0) -> bytes:
    t = np.arange(round(seconds * rate)) / rate
    return np.asarray(amplitude * np.sin(2 * np.pi * hz * t), dtype="<i2").tobytes()


def level(samples: np.ndarray) -> float:
    middle = samples[200:-200].astype(np.float64)  # away from the filter's edges
    return float(np.sqrt(np.mean(middle * middle)))


def test_a_speech_band_tone_keeps_its_level_at_a_third_of_the_samples() -> None:
    out = Downsampler().feed(tone(1000))
    assert len(out) == 4000
    assert abs(level(out) - 10_000 / np.sqrt(2)) < 300


def test_a_tone_above_the_phone_band_is_removed_instead_of_aliasing() -> None:
    out = Downsampler().feed(tone(6000))  # would alias to 2 kHz without the low-pass
    assert level(out) < 10_000 / np.sqrt(2) * 0.03


def test_chunked_input_gives_the_same_samples_as_one_piece() -> None:
    pcm = tone(440, seconds=0.3)
    whole = Downsampler().feed(pcm)
    chunked = Downsampler()
    pieces = [chunked.feed(pcm[i : i + 999]) for i in range(0, len(pcm), 999)]  # odd sizes split samples
    assert np.array_equal(np.concatenate(pieces), whole)
