"""The report's recording: both directions of the call, mixed, as a 16-bit 8 kHz mono WAV."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterable

import numpy as np

RATE = 8000


def _decode_table() -> np.ndarray:
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (codes >> 4) & 0x07
    magnitude = ((((codes & 0x0F) << 3) + 0x84) << exponent) - 0x84
    return np.where(codes & 0x80, -magnitude, magnitude).astype(np.int16)


_ULAW = _decode_table()


def mulaw_to_pcm16(mulaw: bytes) -> np.ndarray:
    return _ULAW[np.frombuffer(mulaw, dtype=np.uint8)]


def mix_recording(segments: Iterable[tuple[float, bytes]]) -> np.ndarray:
    """int16 samples of every ``(start ms, mu-law)`` segment placed on one timeline and summed
    (clipped). Segments from both directions may overlap, as when the caller barges in."""
    placed = [(max(0, round(start_ms * RATE / 1000)), mulaw_to_pcm16(audio)) for start_ms, audio in segments if audio]
    if not placed:
        return np.zeros(0, dtype=np.int16)
    total = np.zeros(max(at + len(samples) for at, samples in placed), dtype=np.int32)
    for at, samples in placed:
        total[at : at + len(samples)] += samples
    return np.clip(total, -32768, 32767).astype(np.int16)


def wav_bytes(samples: np.ndarray, rate: int = RATE) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()
