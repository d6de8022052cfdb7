"""G.711 mu-law helpers and synthetic signals for the fakes, the tests and the bench callers.

Pure numpy (no ``audioop``: it is gone in Python 3.13). All audio is 8 kHz mono unless a
rate is given; one 20 ms frame of mu-law is 160 bytes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 8000
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * FRAME_MS // 1000
MULAW_SILENCE = 0xFF

_BIAS = 0x84
_CLIP = 32635


def _decode_table() -> npt.NDArray[np.int16]:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


ULAW_TO_LINEAR: npt.NDArray[np.int16] = _decode_table()


def mulaw_decode(data: bytes) -> npt.NDArray[np.int16]:
    """mu-law bytes -> int16 samples."""
    return ULAW_TO_LINEAR[np.frombuffer(data, dtype=np.uint8)]


def mulaw_encode(samples: npt.ArrayLike) -> bytes:
    """int16-range samples (any numeric array) -> mu-law bytes."""
    x = np.clip(np.asarray(samples, dtype=np.float64), -32768, 32767).astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(x >> 2), _CLIP >> 2) + (_BIAS >> 2)  # 14-bit, as G.711 specifies
    exponent = np.floor(np.log2(np.maximum(magnitude >> 5, 1))).astype(np.int32)
    mantissa = (magnitude >> (exponent + 1)) & 0x0F
    codes: npt.NDArray[np.uint8] = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)
    return codes.tobytes()


def frame_rms(data: bytes, frame_bytes: int = FRAME_BYTES) -> npt.NDArray[np.float64]:
    """RMS (int16 scale) of each whole frame of mu-law ``data``; a trailing partial frame is ignored."""
    whole = len(data) // frame_bytes * frame_bytes
    if whole == 0:
        return np.zeros(0)
    samples = mulaw_decode(data[:whole]).astype(np.float64).reshape(-1, frame_bytes)
    return np.asarray(np.sqrt(np.mean(samples * samples, axis=1)))


def rms(data: bytes) -> float:
    """RMS (int16 scale) of a whole mu-law buffer."""
    if not data:
        return 0.0
    samples = mulaw_decode(data).astype(np.float64)
    return float(np.sqrt(np.mean(samples * samples)))


def silence(duration_s: float) -> bytes:
    """Digital silence in mu-law."""
    return bytes([MULAW_SILENCE]) * round(duration_s * SAMPLE_RATE)


def voice_like(
    duration_s: float, *, sample_rate: int = SAMPLE_RATE, amplitude: float = 9000.0
) -> npt.NDArray[np.float64]:
    """A deterministic, clearly audible 'voice': a 150 Hz buzz with harmonics and a 4 Hz syllable
    envelope that never drops below 40 %, so every 20 ms frame is well above any sane VAD threshold."""
    n = round(duration_s * sample_rate)
    t = np.arange(n) / sample_rate
    buzz = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in (1, 2, 3, 4))
    envelope = 0.7 + 0.3 * np.sin(2 * np.pi * 4 * t)
    return np.asarray(amplitude * 0.5 * buzz * envelope)


def speech_like_mulaw(duration_s: float, *, seed: int = 0, amplitude: float = 8000.0) -> bytes:
    """Caller 'speech' for tests and bench: band-limited noise with a syllable envelope, in mu-law."""
    rng = np.random.default_rng(seed)
    n = round(duration_s * SAMPLE_RATE)
    noise = rng.standard_normal(n)
    smoothed = np.convolve(noise, np.ones(4) / 4, mode="same")
    t = np.arange(n) / SAMPLE_RATE
    envelope = 0.6 + 0.4 * np.abs(np.sin(2 * np.pi * 3 * t))
    return mulaw_encode(amplitude * smoothed / max(float(np.std(smoothed)), 1e-9) * 0.5 * envelope)


def frames(data: bytes, frame_bytes: int = FRAME_BYTES) -> list[bytes]:
    """Split audio into fixed frames (the last one may be short)."""
    return [data[i : i + frame_bytes] for i in range(0, len(data), frame_bytes)]
