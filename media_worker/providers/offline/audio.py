"""Phone audio for the offline models: G.711 mu-law <-> int16 by lookup table, and resampling.

The carrier speaks mu-law at 8 kHz; Whisper wants float32 at 16 kHz and Piper speaks int16 at
22050 Hz. Tables make the codec a single numpy indexing operation (no ``audioop``: it is gone
in Python 3.13). Resampling uses soxr, imported on first use.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

PHONE_RATE = 8000
WHISPER_RATE = 16000

Int16Array = npt.NDArray[np.int16]
Float32Array = npt.NDArray[np.float32]

_BIAS = 0x84


def _decode_table() -> Int16Array:
    code = np.bitwise_not(np.arange(256, dtype=np.uint8)).astype(np.int32)
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(code & 0x80, -magnitude, magnitude).astype(np.int16)


def _encode_table() -> npt.NDArray[np.uint8]:
    # The 14-bit reference encoder (as in audioop): drop 2 bits, bias 33, segment by bit length.
    value = np.arange(-32768, 32768, dtype=np.int32) >> 2
    mask = np.where(value < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(value), 8159) + 0x21
    segment = np.searchsorted(np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]), magnitude)
    code = np.where(segment > 7, 0x7F, (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F))
    table: npt.NDArray[np.uint8] = (code ^ mask).astype(np.uint8)
    return table


_DECODE = _decode_table()
_ENCODE = _encode_table()


def mulaw_to_pcm16(mulaw: bytes) -> Int16Array:
    """Decode G.711 mu-law bytes to int16 samples (same values as ``audioop.ulaw2lin``)."""
    return _DECODE[np.frombuffer(mulaw, dtype=np.uint8)]


def pcm16_to_mulaw(samples: Int16Array) -> bytes:
    """Encode int16 samples to G.711 mu-law bytes (same values as ``audioop.lin2ulaw``)."""
    indices = samples.astype(np.int32) + 32768
    return bytes(_ENCODE[indices].tobytes())


def pcm16_to_float(samples: Int16Array) -> Float32Array:
    return (samples.astype(np.float32) / 32768.0).astype(np.float32)


def float_to_pcm16(samples: Float32Array) -> Int16Array:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)


def resample(samples: Float32Array, from_rate: int, to_rate: int) -> Float32Array:
    """Resample a whole clip (soxr, high quality; it low-passes before downsampling)."""
    if from_rate == to_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    out = _soxr().resample(samples.astype(np.float32, copy=False), from_rate, to_rate, quality="HQ")
    return np.asarray(out, dtype=np.float32)


@cache
def _soxr():  # type: ignore[no-untyped-def]
    import soxr

    return soxr
