"""One benchmark call: a :class:`SimulatedCaller` that speaks the scenario and times every turn.

:class:`BenchCaller` adds two hooks to the simulated caller (bench-only; both call the original):
the time each speech frame left the microphone, and a wake-up on every message from the agent.
Timing rules (all ``time.monotonic`` ms, one clock for every process on the machine):

- end of speech = when the phrase's last voiced frame was sent (a carrier sends a frame once its
  20 ms were captured, so that is when the caller stopped talking);
- the reply starts at the first non-silent frame *received* after at least
  :data:`RESPONSE_GAP_MS` without one (so the tail of an earlier reply never counts);
- barge-in: from the interruption's first frame sent, to ``clear`` received, and to the moment the
  caller stopped hearing the agent (the last agent audio that had started playing).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.corpus import Clip, first_words_offset_ms
from bench.scenario import BARGE_AFTER_MS, COMMA_PAUSE_MS, THINK_MS, turn
from switchboard.caller import SimulatedCaller
from switchboard.caller.caller import SILENCE, now_ms
from switchboard.caller.wire import Encoder

RESPONSE_GAP_MS = 250.0
REPLY_TIMEOUT_S = 6.0
STALL_MS = 2000.0
PACING_GAP_MS = 60.0
BETWEEN_RESPONSES_MS = 1000.0  # an inter-frame gap this long separates two responses


class _TimedEncoder(Encoder):
    def __init__(self, caller: BenchCaller) -> None:
        super().__init__(caller.info)
        self._caller = caller

    def media(self, payload: bytes, timestamp_ms: int, *, chunk: int | None = None) -> str:
        if payload != SILENCE:
            self._caller.speech_sent.append(now_ms())
        return super().media(payload, timestamp_ms, chunk=chunk)


class BenchCaller(SimulatedCaller):
    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, frames_per_tick=1, **kwargs)
        self.speech_sent: list[float] = []
        self.arrived = asyncio.Event()
        self._encoder = _TimedEncoder(self)
        self._scan = 0  # index into record.frames already searched for a response start
        self._last_voiced = float("-inf")

    def _on_message(self, message: str | bytes) -> None:
        super()._on_message(message)
        self.arrived.set()

    async def say(self, clip: Clip) -> tuple[float, float]:
        """Speak a clip in real time; return when its first and last frames were sent."""
        before = len(self.speech_sent)
        await self.speak(clip.mulaw)
        sent = self.speech_sent[before:]
        return (sent[0], sent[-1]) if sent else (now_ms(), now_ms())

    async def next_response(self, since_ms: float, timeout_s: float = REPLY_TIMEOUT_S) -> float | None:
        """When the next response after ``since_ms`` started (its first voiced frame), or None."""
        deadline = time.monotonic() + timeout_s
        frames = self.record.frames
        while True:
            while self._scan < len(frames):
                f = frames[self._scan]
                self._scan += 1
                if not f.voiced:
                    continue
                previous, self._last_voiced = self._last_voiced, f.at_ms
                if f.at_ms >= since_ms and f.at_ms - previous >= RESPONSE_GAP_MS:
                    return f.at_ms
            left = deadline - time.monotonic()
            if left <= 0 or self.closed.is_set():
                return None
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(left, 0.5)):
                    await self.arrived.wait()

    async def quiet(self, quiet_ms: float = 400.0, timeout_s: float = 20.0) -> None:
        with contextlib.suppress(TimeoutError):
            await self.wait_for_quiet(quiet_ms, timeout_s=timeout_s)

    def voiced_between(self, start_ms: float, end_ms: float) -> bool:
        return any(f.voiced and start_ms <= f.at_ms <= end_ms for f in reversed(self.record.frames))


@dataclass
class TurnResult:
    kind: str
    index: int
    end_of_speech_ms: float
    voice_to_voice_ms: float | None = None
    talk_over: bool = False
    barge_clear_ms: float | None = None
    barge_stop_hearing_ms: float | None = None
    barge_clear_after_stt_ms: float | None = None

    @property
    def stalled(self) -> bool:
        return self.voice_to_voice_ms is None or self.voice_to_voice_ms > STALL_MS


@dataclass
class CallResult:
    turns: list[TurnResult] = field(default_factory=list)
    error: str | None = None
    connected_ms: float = 0.0
    ended_ms: float = 0.0
    frames_received: int = 0
    marks_received: int = 0
    marks_echoed: int = 0
    clears: int = 0
    pacing_gaps: int = 0
    underrun_ms: float = 0.0
    lead_p95_ms: float = 0.0
    lead_max_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for t, raw in zip(self.turns, out["turns"], strict=True):
            raw["stalled"] = t.stalled
        return out


async def run_call(caller: BenchCaller, clips: dict[str, Clip], *, until_ms: float, seed: int) -> CallResult:
    """The scenario, turn after turn, until ``until_ms``; then hang up."""
    result = CallResult()
    rng = random.Random(seed)
    try:
        await caller.connect()
        result.connected_ms = now_ms()
        await caller.next_response(result.connected_ms, timeout_s=10.0)  # the greeting
        await caller.quiet()
        index = 0
        while now_ms() + 9000 < until_ms and not caller.closed.is_set():
            await caller.silence(rng.uniform(*THINK_MS))
            result.turns.extend(await _one_turn(caller, clips, index, rng))
            await caller.quiet()
            index += 1
    except Exception as error:
        result.error = f"{type(error).__name__}: {error}"[:300]
    finally:
        result.ended_ms = now_ms()
        await caller.hang_up()
    _summarise_audio(caller, result)
    return result


async def _one_turn(caller: BenchCaller, clips: dict[str, Clip], index: int, rng: random.Random) -> list[TurnResult]:
    plan = turn(index)
    clip = clips[plan.phrases[0].key]
    start, end = await caller.say(clip)
    talk_over = False
    if plan.kind == "comma":
        await caller.silence(COMMA_PAUSE_MS + rng.uniform(-50, 50))
        _, end = await caller.say(clips[plan.phrases[1].key])
        talk_over = caller.voiced_between(start, end)
    result = TurnResult(plan.kind, index, end, talk_over=talk_over)
    first = await caller.next_response(end)
    result.voice_to_voice_ms = None if first is None else first - end
    if plan.kind == "barge" and first is not None:
        return [result, await _barge(caller, clips[plan.phrases[1].key], first, result)]
    return [result]


async def _barge(caller: BenchCaller, clip: Clip, reply_started: float, result: TurnResult) -> TurnResult:
    """Interrupt the reply; time the reaction; return the interruption's own turn (its reply's latency)."""
    await asyncio.sleep(max(0.0, reply_started + BARGE_AFTER_MS - now_ms()) / 1000.0)
    clears_before = len(caller.record.clears)
    barge_start, barge_end = await caller.say(clip)
    clears = [c for c in caller.record.clears[clears_before:] if c >= barge_start]
    if clears:
        result.barge_clear_ms = clears[0] - barge_start
        offset = first_words_offset_ms(clip)
        if offset is not None:
            result.barge_clear_after_stt_ms = result.barge_clear_ms - offset
    cut = clears[0] if clears else float("inf")
    heard = [min(f.start_ms + len(f.audio) / 8.0, cut) for f in caller.playback.frames
             if f.start_ms < barge_end + RESPONSE_GAP_MS]  # fmt: skip
    if heard:
        result.barge_stop_hearing_ms = max(0.0, max(heard) - barge_start)
    answer = await caller.next_response(barge_end)
    return TurnResult("interruption", result.index, barge_end,
                      voice_to_voice_ms=None if answer is None else answer - barge_end)  # fmt: skip


def _summarise_audio(caller: BenchCaller, result: CallResult) -> None:
    record = caller.record
    result.frames_received = len(record.frames)
    result.marks_received = len(record.marks_received)
    result.marks_echoed = len(record.marks_echoed)
    result.clears = len(record.clears)
    clears = sorted(record.clears)
    end = 0.0
    leads: list[float] = []
    previous: float | None = None
    c = 0
    for f in record.frames:
        while c < len(clears) and clears[c] <= f.at_ms:
            end = min(end, clears[c])
            c += 1
        if previous is not None:
            gap = f.at_ms - previous
            if PACING_GAP_MS < gap < BETWEEN_RESPONSES_MS:
                result.pacing_gaps += 1
                if f.at_ms > end:
                    result.underrun_ms += f.at_ms - end
        previous = f.at_ms
        end = max(end, f.at_ms) + len(f.audio) / 8.0
        leads.append(end - f.at_ms)
    if leads:
        leads.sort()
        result.lead_p95_ms = leads[int(0.95 * (len(leads) - 1))]
        result.lead_max_ms = leads[-1]
