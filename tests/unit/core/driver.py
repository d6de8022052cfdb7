"""A test driver for the pure call loop: a fake clock, and helpers that play the runtime's part."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

from media_worker.core import (
    AudioFramesSent,
    CallConfig,
    CallerSpeechStarted,
    CallState,
    CancelTimer,
    Command,
    EndCall,
    Event,
    FinishSpeech,
    LlmResponseCompleted,
    LlmTextReceived,
    LlmToolCallRequested,
    PlaybackMarked,
    SendMark,
    StartResponse,
    StartTimer,
    StreamStarted,
    SynthesizeClause,
    TimerFired,
    TranscriptUpdated,
    TtsAudioReceived,
    TtsFinished,
    TurnPolicy,
    UtteranceEnded,
    Word,
    new_call,
    step,
)

C = TypeVar("C")

GREETING = "Hello! Thanks for calling Acme. How can I help?"


def config(**policy: Any) -> CallConfig:
    return CallConfig(
        system_prompt="You are a helpful receptionist.",
        first_message=GREETING,
        policy=replace(TurnPolicy(), **policy),
    )


def of(commands: list[Command], kind: type[C]) -> list[C]:
    return [c for c in commands if isinstance(c, kind)]


class Call:
    """One simulated call; ``now`` is the fake monotonic clock in ms."""

    def __init__(self, cfg: CallConfig | None = None, *, call_id: str = "call-1") -> None:
        self.state: CallState = new_call(call_id, cfg or config())
        self.now = 10_000.0
        self.log: list[Command] = []
        self.stt_s = 0.0
        self.echoed: set[str] = set()
        self.timers: dict[str, tuple[float, int]] = {}
        self.heard: list[tuple[tuple[Word, ...], str]] = []
        self.segment_start_s = 0.0

    # -- feeding facts -------------------------------------------------------

    def feed(self, event: Event) -> list[Command]:
        self.state, commands = step(self.state, event)
        self.log.extend(commands)
        for command in commands:  # the runtime's timer wheel
            if isinstance(command, StartTimer):
                self.timers[command.name] = (self.now + command.delay_ms, command.generation)
            elif isinstance(command, CancelTimer):
                self.timers.pop(command.name, None)
            elif isinstance(command, EndCall):
                self.timers.clear()
        return commands

    def advance(self, ms: float) -> list[Command]:
        """Let ``ms`` pass, firing timers as they come due (as the runtime would)."""
        target = self.now + ms
        out: list[Command] = []
        while self.timers:
            name, (due, generation) = min(self.timers.items(), key=lambda item: item[1][0])
            if due > target:
                break
            del self.timers[name]
            self._tick(due)
            out += self.feed(TimerFired(now_ms=self.now, name=name, generation=generation))
        self._tick(target)
        return out

    def _tick(self, at: float) -> None:
        self.stt_s += (at - self.now) / 1000.0
        self.now = at

    def start(self) -> list[Command]:
        return self.feed(StreamStarted(now_ms=self.now))

    def fire(self, name: str) -> list[Command]:
        """Fire the armed timer ``name`` now, early (a runtime whose timer raced the clock)."""
        generation = self.state.timers[name]
        self.timers.pop(name, None)
        return self.feed(TimerFired(now_ms=self.now, name=name, generation=generation))

    def armed(self, name: str) -> StartTimer | None:
        generation = self.state.timers.get(name)
        return next((c for c in of(self.log, StartTimer) if c.name == name and c.generation == generation), None)

    def speech_started(self) -> list[Command]:
        return self.feed(CallerSpeechStarted(now_ms=self.now))

    def hear(self, text: str, *, final: bool = False, speech_final: bool = False, words: bool = True) -> list[Command]:
        """An STT result; word timestamps follow the fake STT clock."""
        tokens = text.split()
        ws: tuple[Word, ...] = ()
        if words and tokens:
            # words fill the time since the previous segment, at most 250 ms each
            start = max(self.stt_s - 0.25 * len(tokens), self.segment_start_s)
            step_s = (self.stt_s - start) / len(tokens)
            ws = tuple(Word(t, start + i * step_s, start + (i + 1) * step_s) for i, t in enumerate(tokens))
            if final:
                self.segment_start_s = self.stt_s
        self.heard.append((ws, text))
        return self.feed(
            TranscriptUpdated(now_ms=self.now, text=text, is_final=final, speech_final=speech_final, words=ws)
        )

    def feed_barge_in_words(self, text: str) -> list[Command]:
        """Caller words arriving after the minimum barge-in duration."""
        out = self.advance(self.state.config.policy.barge_in_min_ms)
        return out + self.hear(text)

    def utterance_end(self) -> list[Command]:
        return self.feed(UtteranceEnded(now_ms=self.now))

    # -- the LLM -------------------------------------------------------------

    def last_response_id(self) -> str:
        return of(self.log, StartResponse)[-1].response_id

    def llm(self, *chunks: str, done: bool = True, response_id: str | None = None) -> list[Command]:
        rid = response_id or self.last_response_id()
        out: list[Command] = []
        for chunk in chunks:
            out += self.feed(LlmTextReceived(now_ms=self.now, response_id=rid, text=chunk))
        if done:
            out += self.feed(LlmResponseCompleted(now_ms=self.now, response_id=rid, input_tokens=100, output_tokens=20))
        return out

    def tool_call(
        self, call_id: str, name: str, arguments: str = "{}", response_id: str | None = None
    ) -> list[Command]:
        rid = response_id or self.last_response_id()
        return self.feed(
            LlmToolCallRequested(
                now_ms=self.now, response_id=rid, tool_call_id=call_id, name=name, arguments_json=arguments
            )
        )

    # -- TTS and playback (the runtime's outbound lane) ----------------------

    def synthesize(
        self, response_id: str, audio_ms: float, *, chunk_ms: float = 100.0, finish: bool = True
    ) -> list[Command]:
        """TTS produces audio for a response and the lane starts sending it."""
        out: list[Command] = []
        produced = 0.0
        while produced < audio_ms:
            piece = min(chunk_ms, audio_ms - produced)
            produced += piece
            out += self.feed(TtsAudioReceived(now_ms=self.now, response_id=response_id, duration_ms=piece))
        out += self.feed(AudioFramesSent(now_ms=self.now, response_id=response_id, frames=int(audio_ms // 20)))
        if finish:
            out += self.feed(TtsFinished(now_ms=self.now, response_id=response_id))
        return out

    def play_marks(self, until_ms: float | None = None) -> list[Command]:
        """The carrier echoes every mark sent so far (up to an audio offset, if given), advancing the clock."""
        out: list[Command] = []
        for mark in of(self.log, SendMark):
            if mark.name in self.echoed:
                continue
            tail = mark.name.rpartition("@")[2]
            if until_ms is not None and (tail == "end" or float(tail) > until_ms):
                continue
            self.echoed.add(mark.name)
            out += self.feed(PlaybackMarked(now_ms=self.now, name=mark.name))
        return out

    def speak_through(self, response_id: str, audio_ms: float = 1000.0) -> list[Command]:
        """A whole speech: synthesised, sent, played to its end mark."""
        out = self.synthesize(response_id, audio_ms)
        self.advance(audio_ms)
        out += self.play_marks()
        return out

    def greet(self) -> list[Command]:
        out = self.start()
        rid = of(out, SynthesizeClause)[0].response_id
        return out + self.speak_through(rid, 2000.0)

    def synthesized_text(self, response_id: str) -> str:
        return "".join(c.text for c in of(self.log, SynthesizeClause) if c.response_id == response_id)

    def finished(self, response_id: str) -> bool:
        return any(c.response_id == response_id for c in of(self.log, FinishSpeech))
