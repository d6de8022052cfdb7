"""The call recording's timeline: two channels, caller and agent, at 8 kHz, cut into fixed-length segments.

No I/O here (:mod:`.uploader` stores the segments). What the recording holds:

- **Sample 0 is the carrier ``start``**: stream time 0, the same zero as the STT's word times.
- **Caller channel (left)**: every inbound caller byte, in arrival order, one mu-law sample per byte.
  This is exactly the STT's stream time (the STT lane counts the same bytes), so STT word timings,
  and the PCI spans found from them, index the caller channel without any conversion. Carriers send
  media continuously (silence included, 20 ms frames), so this also tracks the wall clock.
- **Agent channel (right)**: what the caller actually heard. Each frame the outbound lane *sent* is
  placed at its playout position, ``max(time it was sent, end of the previous frame)`` (the carrier
  plays frames back to back from the moment they arrive); ``clear`` erases everything placed after
  the time it was sent (the carrier dropped it, nobody heard it). Audio that was enqueued but never
  sent is never recorded.
- **Stored format**: 16-bit little-endian linear PCM, interleaved stereo (left caller, right agent),
  8000 Hz: 32 000 bytes per second (115 MB per hour). Chosen over mu-law WAV (half the size)
  because browsers and most players cannot play mu-law WAV (format tag 7), and the admin API hands
  out a presigned URL meant to be played as it is. Digital silence is sample value 0.

**Segments.** Segment *k* covers samples ``[k*n, (k+1)*n)`` for ``n = segment_s * 8000``. It may be
cut once the caller channel has reached its end (so the caller timeline never shifts) and the wall
clock has passed its end (then no later frame or ``clear`` can change it: frames are placed at or
after the time they are sent, and ``clear`` only erases audio after the time it is sent). The caller
decides when (the PCI gate in :mod:`.uploader`). Cut audio is dropped from memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from switchboard.pci import Span, mask_pcm

SAMPLE_RATE = 8000
CHANNELS = 2
SAMPLE_WIDTH = 2
FRAME_BYTES = CHANNELS * SAMPLE_WIDTH
BYTES_PER_SECOND = SAMPLE_RATE * FRAME_BYTES
MULAW_SILENCE = 0xFF
CHANNEL_LAYOUT = ("caller", "agent")


def _ulaw_table() -> npt.NDArray[np.int16]:
    """G.711 mu-law byte -> int16 sample (bit-exact with ``audioop.ulaw2lin``)."""
    code = np.arange(256, dtype=np.int32) ^ 0xFF
    magnitude = (((code & 0x0F) << 3) + 0x84) << ((code >> 4) & 0x07)
    return np.where(code & 0x80, 0x84 - magnitude, magnitude - 0x84).astype(np.int16)


ULAW_TO_PCM16 = _ulaw_table()


def stereo_pcm(caller: bytes, agent: bytes) -> bytes:
    """Two equally long mu-law channels -> interleaved 16-bit little-endian stereo PCM."""
    if len(caller) != len(agent):
        raise ValueError("both channels must hold the same number of samples")
    out = np.empty((len(caller), CHANNELS), dtype="<i2")
    out[:, 0] = ULAW_TO_PCM16[np.frombuffer(caller, dtype=np.uint8)]
    out[:, 1] = ULAW_TO_PCM16[np.frombuffer(agent, dtype=np.uint8)]
    return out.tobytes()


@dataclass(frozen=True, slots=True)
class Segment:
    index: int
    start_sample: int
    pcm: bytes
    """interleaved 16-bit stereo, already masked"""

    @property
    def start_s(self) -> float:
        return self.start_sample / SAMPLE_RATE

    @property
    def samples(self) -> int:
        return len(self.pcm) // FRAME_BYTES


class CallRecorder:
    """Caller and agent audio on one sample timeline; cut into :class:`Segment` s in order."""

    def __init__(self, *, segment_s: float, clock_ms: Callable[[], float]) -> None:
        if segment_s <= 0:
            raise ValueError("segment_s must be positive")
        self.segment_samples = max(1, round(segment_s * SAMPLE_RATE))
        self._clock_ms = clock_ms
        self._origin_ms: float | None = None
        self._base = 0  # sample index of the first byte still held in each channel buffer
        self._caller = bytearray()
        self._agent = bytearray()
        self.next_index = 0
        self.clears = 0

    # -- input --------------------------------------------------------------------------------

    def start(self, origin_ms: float) -> None:
        """The clock reading of the carrier ``start`` (stream time 0), for placing agent audio."""
        if self._origin_ms is None:
            self._origin_ms = origin_ms

    def caller_audio(self, mulaw: bytes) -> None:
        self._caller += mulaw

    def agent_sent(self, mulaw: bytes) -> None:
        """A frame the outbound lane just sent to the carrier."""
        at = max(self.agent_end, self._now_sample())
        if at > self.agent_end:
            self._agent += bytes([MULAW_SILENCE]) * (at - self.agent_end)
        self._agent += mulaw

    def agent_cleared(self) -> None:
        """The lane just sent ``clear``: the carrier drops whatever it had not played yet."""
        self.clears += 1
        cut = max(self._now_sample(), self._base)
        if cut < self.agent_end:
            del self._agent[cut - self._base :]

    # -- timeline -----------------------------------------------------------------------------

    @property
    def caller_end(self) -> int:
        return self._base + len(self._caller)

    @property
    def agent_end(self) -> int:
        return self._base + len(self._agent)

    @property
    def end_sample(self) -> int:
        return max(self.caller_end, self.agent_end)

    def wall_sample(self) -> int:
        """Where the wall clock is on the timeline (nothing before it can change on the agent side)."""
        return self._now_sample()

    def next_segment_end(self) -> int:
        return (self.next_index + 1) * self.segment_samples

    def can_cut(self, horizon_sample: int) -> bool:
        """Whether the next whole segment is complete and settled up to *horizon_sample*."""
        end = self.next_segment_end()
        return end <= min(self.caller_end, self._now_sample(), horizon_sample)

    def first_voiced_caller_s(self, after_s: float, *, threshold_rms: float) -> float | None:
        """Start of the first 20 ms caller frame after *after_s*, still held, louder than *threshold_rms*."""
        first = max(self._base, math.floor(after_s * SAMPLE_RATE))
        data = bytes(self._caller[first - self._base :])
        frame = SAMPLE_RATE // 50
        whole = len(data) // frame * frame
        if whole == 0:
            return None
        samples = ULAW_TO_PCM16[np.frombuffer(data[:whole], dtype=np.uint8)].astype(np.float64).reshape(-1, frame)
        loud = np.flatnonzero(np.sqrt(np.mean(samples * samples, axis=1)) > threshold_rms)
        return None if loud.size == 0 else (first + int(loud[0]) * frame) / SAMPLE_RATE

    # -- output -------------------------------------------------------------------------------

    def cut(self, spans: Sequence[Span] = ()) -> Segment:
        """The next whole segment, with digital silence over *spans* (stream seconds)."""
        return self._take(self.next_segment_end(), spans)

    def cut_rest(self, spans: Sequence[Span] = ()) -> list[Segment]:
        """Everything still held, as whole segments and a last shorter one (the call is over)."""
        segments = []
        end = self.end_sample
        while self.next_index * self.segment_samples < end:
            segments.append(self._take(min(self.next_segment_end(), end), spans))
        return segments

    def _take(self, end: int, spans: Sequence[Span]) -> Segment:
        start = self.next_index * self.segment_samples
        length = end - start
        caller = self._channel(self._caller, length)
        agent = self._channel(self._agent, length)
        del self._caller[:length]
        del self._agent[:length]
        self._base = end
        pcm = stereo_pcm(caller, agent)
        if spans:
            pcm = mask_pcm(pcm, spans, SAMPLE_RATE, encoding="linear16", channels=CHANNELS,
                           offset_s=start / SAMPLE_RATE)  # fmt: skip
        segment = Segment(self.next_index, start, pcm)
        self.next_index += 1
        return segment

    @staticmethod
    def _channel(buffer: bytearray, length: int) -> bytes:
        data = bytes(buffer[:length])
        return data + bytes([MULAW_SILENCE]) * (length - len(data))

    def _now_sample(self) -> int:
        if self._origin_ms is None:
            return 0
        return max(0, math.floor((self._clock_ms() - self._origin_ms) * SAMPLE_RATE / 1000.0))
