"""Scripted caller turns: what the simulated caller says, how it is voiced, and one conversation run.

A :class:`CallerLine` is text (voiced offline by Piper, :class:`PiperVoice`) or a WAV file (any
rate, mono or stereo PCM16; resampled to 8 kHz mu-law). :func:`run_conversation` plays them over
a connected :class:`~switchboard.caller.SimulatedCaller` in real time: wait for the greeting,
then for each line speak, measure voice-to-voice (end of the caller's speech -> first non-silent
reply frame received, on the caller's clock) and wait until the agent is quiet. What the caller
said is kept with its timing, so the report can mix both directions into one recording.
"""

from __future__ import annotations

import asyncio
import threading
import wave
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from .caller import FRAME_BYTES, SimulatedCaller, frame_rms, now_ms

RATE = 8000
QUIET_MS = 1500.0
"""Silence from the agent that ends its reply (clause gaps and tool calls stay well below it)."""
SPEECH_RMS = 120.0


@dataclass(frozen=True, slots=True)
class CallerLine:
    text: str
    wav: Path | None = None


DEMO_SCRIPT: tuple[CallerLine, ...] = (
    CallerLine("Hi. My office printer is broken. It will not print anything at all."),
    CallerLine("My email is jane at example dot com."),
    CallerLine("Can you open a support ticket for the broken printer, please?"),
    CallerLine("Thank you. That's all I needed. Goodbye!"),
)
"""The ``make demo`` call: a broken printer, an email, a ticket (tool call), goodbye."""

SHORT_SCRIPT: tuple[CallerLine, ...] = (
    CallerLine("Hi. My office printer is broken. Please open a support ticket for me."),
    CallerLine("Thank you. Goodbye!"),
)
"""The end-to-end test's call: one request that needs the tool, then goodbye."""

SCRIPTS = {"demo": DEMO_SCRIPT, "short": SHORT_SCRIPT}


class Voice(Protocol):
    def synthesize(self, text: str) -> bytes:
        """Blocking: ``text`` spoken as 8 kHz mu-law."""
        ...


class Transcriber(Protocol):
    def transcribe(self, mulaw: bytes) -> str:
        """Blocking: what was said in 8 kHz mu-law audio."""
        ...


class PiperVoice:
    """The caller's voice: Piper (offline, deterministic), via the worker's Piper engine."""

    def __init__(self) -> None:
        from media_worker.providers.offline import PiperEngine

        self._engine = PiperEngine.load(deterministic=True)

    def synthesize(self, text: str) -> bytes:
        return b"".join(self._engine.synthesize(text, threading.Event()))

    def close(self) -> None:
        self._engine.close()


class WhisperTranscriber:
    """Transcribes what the caller heard (offline Whisper tiny.en), for the live transcript."""

    def __init__(self) -> None:
        from media_worker.providers.offline import WhisperEngine

        self._engine = WhisperEngine.load(cpu_threads=1)

    def transcribe(self, mulaw: bytes) -> str:
        from media_worker.providers.offline.audio import mulaw_to_pcm16, pcm16_to_float

        text, _words, _confidence = self._engine.transcribe(pcm16_to_float(mulaw_to_pcm16(mulaw)), 0)
        return text.strip()

    def close(self) -> None:
        self._engine.close()


def pcm16_to_mulaw(samples: np.ndarray) -> bytes:
    """G.711 mu-law encoding of int16 samples (14-bit, bit-exact with ``audioop.lin2ulaw``)."""
    x = samples.astype(np.int32)
    sign = np.where(x < 0, 0x80, 0)
    magnitude = np.minimum(np.abs(x >> 2), 32635 >> 2) + (0x84 >> 2)
    exponent = np.floor(np.log2(np.maximum(magnitude >> 5, 1))).astype(np.int32)
    mantissa = (magnitude >> (exponent + 1)) & 0x0F
    codes: np.ndarray = (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8)
    return codes.tobytes()


def read_wav_mulaw(path: Path) -> bytes:
    """A PCM16 WAV file (any rate, mono or stereo) as 8 kHz mono mu-law."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM WAV files are supported")
        rate, channels = wav.getframerate(), wav.getnchannels()
        samples: np.ndarray = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    if rate != RATE:
        if rate > RATE:  # crude low-pass before decimating: a moving average over the rate ratio
            width = max(1, round(rate / RATE))
            samples = np.convolve(samples, np.ones(width) / width, mode="same")
        positions = np.arange(0, len(samples) * RATE / rate) * rate / RATE
        samples = np.interp(positions, np.arange(len(samples)), samples)
    return pcm16_to_mulaw(np.clip(samples, -32768, 32767).astype(np.int16))


def trim_silence(mulaw: bytes) -> bytes:
    """Drop silent 20 ms frames at both ends, so the end of the audio is the end of speech."""
    frames = [mulaw[i : i + FRAME_BYTES] for i in range(0, len(mulaw), FRAME_BYTES)]
    voiced = [i for i, f in enumerate(frames) if frame_rms(f) > SPEECH_RMS]
    if not voiced:
        return mulaw
    return b"".join(frames[voiced[0] : voiced[-1] + 1])


def voice_lines(lines: Sequence[CallerLine], voice: Voice | None) -> list[bytes]:
    """Blocking: every line's audio (WAV, else synthesized), trimmed of edge silence."""
    audio = []
    for line in lines:
        if line.wav is not None:
            audio.append(trim_silence(read_wav_mulaw(line.wav)))
        elif voice is not None:
            audio.append(trim_silence(voice.synthesize(line.text)))
        else:
            raise ValueError(f"no voice to say {line.text!r}: install the offline models or pass WAV files")
    return audio


@dataclass
class TurnResult:
    index: int
    text: str
    speech_start_ms: float
    speech_end_ms: float
    reply_start_ms: float | None = None
    reply_heard: str | None = None
    reply_audio_ms: float = 0.0

    @property
    def voice_to_voice_ms(self) -> float | None:
        return None if self.reply_start_ms is None else self.reply_start_ms - self.speech_end_ms


@dataclass
class Conversation:
    """What happened on the caller's side; times are ms since the stream connected."""

    greeting_heard: str | None = None
    greeting_start_ms: float | None = None
    turns: list[TurnResult] = field(default_factory=list)
    said: list[tuple[float, bytes]] = field(default_factory=list)
    """(start ms, mu-law) of everything the caller said"""
    ended_by_agent: bool = False


class ConversationListener(Protocol):
    def caller_said(self, turn: int, text: str) -> None: ...

    def agent_said(self, turn: int, text: str | None, audio_ms: float) -> None: ...

    def turn_measured(self, result: TurnResult) -> None: ...


async def _hear(caller: SimulatedCaller, since_ms: float, transcriber: Transcriber | None) -> tuple[str | None, float]:
    frames = [f for f in caller.record.frames if f.at_ms >= since_ms]
    audio_ms = sum(len(f.audio) / 8 for f in frames if f.voiced)
    if transcriber is None or not frames:
        return None, audio_ms
    return await asyncio.to_thread(transcriber.transcribe, b"".join(f.audio for f in frames)), audio_ms


async def _reply(
    caller: SimulatedCaller, since_ms: float, *, timeout_s: float
) -> float | None:
    """When the agent's reply began (absolute ms), after waiting until it went quiet; None if it never spoke."""
    try:
        started = await caller.wait_for_reply_audio(since_ms=since_ms, min_ms=60.0, timeout_s=timeout_s)
        await caller.wait_for_quiet(QUIET_MS, timeout_s=timeout_s)
    except (TimeoutError, ConnectionError):
        voiced = [f.at_ms for f in caller.record.frames if f.voiced and f.at_ms >= since_ms]
        return voiced[0] if voiced else None
    return started


async def run_conversation(
    caller: SimulatedCaller,
    lines: Sequence[CallerLine],
    audio: Sequence[bytes],
    *,
    listener: ConversationListener,
    transcriber: Transcriber | None = None,
    reply_timeout_s: float = 30.0,
) -> Conversation:
    """Greeting, then each line in turn (see module doc). Stops early if the agent hangs up."""
    result = Conversation()
    origin = now_ms() - caller.elapsed_ms
    greeting = await _reply(caller, origin, timeout_s=reply_timeout_s)
    if greeting is not None:
        result.greeting_start_ms = greeting - origin
        result.greeting_heard, audio_ms = await _hear(caller, origin, transcriber)
        listener.agent_said(0, result.greeting_heard, audio_ms)
    for index, (line, speech) in enumerate(zip(lines, audio, strict=True), start=1):
        if caller.closed.is_set():
            result.ended_by_agent = True
            break
        listener.caller_said(index, line.text)
        start = now_ms()
        result.said.append((start - origin, speech))
        await caller.speak(speech)
        end = now_ms()
        turn = TurnResult(index, line.text, start - origin, end - origin)
        reply = await _reply(caller, end, timeout_s=reply_timeout_s)
        if reply is not None:
            turn.reply_start_ms = reply - origin
            turn.reply_heard, turn.reply_audio_ms = await _hear(caller, end, transcriber)
            listener.agent_said(index, turn.reply_heard, turn.reply_audio_ms)
        result.turns.append(turn)
        listener.turn_measured(turn)
    result.ended_by_agent = result.ended_by_agent or caller.closed.is_set()
    return result
