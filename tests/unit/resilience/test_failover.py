"""The failover policy on in-memory providers: LLM deadline/error, TTS mid-utterance, STT reconnect plan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from media_worker.providers import SpeechToText, TtsUtterance
from media_worker.runtime.breakers import BreakerBoard, BreakerConfig, BreakerState
from media_worker.runtime.failover import (
    FailoverLanguageModel,
    FailoverLog,
    FailoverPolicy,
    FailoverTextToSpeech,
    LlmEndpoint,
    SttEndpoint,
    SttFailover,
    TtsEndpoint,
    clauses_to_replay,
)
from switchboard.errors import ProviderError
from switchboard.models.assistant import ResilienceSettings
from tests.unit.runtime.fake_providers import FakeTts, FakeUtterance, Finished, ScriptedLlm, TextDelta

ONE_FAILURE_OPENS = BreakerConfig(failure_threshold=1, cooldown_s=30.0)


async def collect(stream: AsyncIterator[object]) -> list[object]:
    return [event async for event in stream]


def llm_pair(
    primary: ScriptedLlm, board: BreakerBoard, deadline_s: float = 0.05
) -> tuple[FailoverLanguageModel, ScriptedLlm]:
    secondary = ScriptedLlm([TextDelta("From the secondary."), Finished("stop")])
    model = FailoverLanguageModel(
        LlmEndpoint("llm:primary", primary, board.get("llm:primary", ONE_FAILURE_OPENS)),
        LlmEndpoint("llm:secondary", secondary, board.get("llm:secondary")),
        deadline_s=deadline_s,
        log=FailoverLog("ca_1"),
    )
    return model, secondary


# -- LLM --------------------------------------------------------------------------------------


async def test_no_first_token_by_the_deadline_cancels_the_primary_and_the_secondary_answers() -> None:
    board = BreakerBoard()
    stalled = ScriptedLlm([], hold=True)
    model, secondary = llm_pair(stalled, board)

    events = await collect(model.stream([{"role": "user", "content": "hi"}]))

    assert events == [TextDelta("From the secondary."), Finished("stop")]
    assert stalled.closed_early == 1  # the primary's stream was closed (its request cancelled)
    assert len(secondary.requests) == 1
    assert model.log.events[0] == ("llm failover", {"reason": "first_token_deadline", "from_endpoint": "llm:primary",
                                                    "to_endpoint": "llm:secondary", "deadline_ms": 50})  # fmt: skip


async def test_an_error_before_the_first_token_is_retried_once_on_the_secondary() -> None:
    board = BreakerBoard()
    model, secondary = llm_pair(ScriptedLlm([], fail=True), board)

    events = await collect(model.stream([]))

    assert events[0] == TextDelta("From the secondary.") and len(secondary.requests) == 1
    assert board.get("llm:primary").state is BreakerState.OPEN


async def test_a_healthy_primary_streams_through_and_counts_as_a_success() -> None:
    board = BreakerBoard()
    primary = ScriptedLlm([TextDelta("Primary."), Finished("stop")])
    model, secondary = llm_pair(primary, board)

    assert await collect(model.stream([])) == [TextDelta("Primary."), Finished("stop")]
    assert secondary.requests == [] and model.failovers == 0


async def test_while_the_breaker_is_open_requests_start_on_the_secondary() -> None:
    board = BreakerBoard()
    primary = ScriptedLlm([TextDelta("Primary."), Finished("stop")])
    model, secondary = llm_pair(primary, board)
    board.get("llm:primary").record_failure("ca_0")

    await collect(model.stream([]))

    assert primary.requests == [] and len(secondary.requests) == 1


async def test_an_error_after_the_first_token_is_not_retried() -> None:
    class Breaks(ScriptedLlm):
        async def stream(self, messages, tools=()):  # type: ignore[no-untyped-def]
            yield TextDelta("Half")
            raise ProviderError("fake-llm", "dropped", retryable=True)

    model, secondary = llm_pair(Breaks([]), BreakerBoard())

    with pytest.raises(ProviderError):
        await collect(model.stream([]))
    assert secondary.requests == []


# -- TTS --------------------------------------------------------------------------------------


def test_the_failed_clause_and_everything_after_it_are_replayed() -> None:
    clauses = ["Hello there. ", "We open at nine. ", "Goodbye."]  # 13, 17, 8 characters
    assert clauses_to_replay(clauses, received_ms=0, ms_per_char=60) == clauses
    assert clauses_to_replay(clauses, received_ms=12 * 60, ms_per_char=60) == clauses
    assert clauses_to_replay(clauses, received_ms=14 * 60, ms_per_char=60) == clauses[1:]
    assert clauses_to_replay(clauses, received_ms=31 * 60, ms_per_char=60) == clauses[2:]
    assert clauses_to_replay(clauses, received_ms=99 * 60, ms_per_char=60) == clauses[2:]  # never nothing
    assert clauses_to_replay([], received_ms=100, ms_per_char=60) == []


class BreakingUtterance(FakeUtterance):
    """Speaks the first push, then fails: the audio stream raises."""

    async def push(self, text: str) -> None:
        self.pushed.append(text)
        if len(self.pushed) == 1:
            self._queue.put_nowait(self._audio_per_push)
        else:
            self._queue.put_nowait(None)
            self.broken = True

    async def audio(self) -> AsyncIterator[bytes]:
        async for chunk in super().audio():
            yield chunk
        if getattr(self, "broken", False):
            raise ProviderError("fake-tts", "context error", retryable=True)


class BreakingTts(FakeTts):
    def start_utterance(self, utterance_id: str) -> TtsUtterance:
        utterance = BreakingUtterance(utterance_id, self.audio_per_push)
        self.utterances[utterance_id] = utterance
        return utterance


async def test_a_tts_failure_mid_utterance_continues_on_the_secondary_from_the_failed_clause() -> None:
    board = BreakerBoard()
    primary = BreakingTts(audio_per_push=b"\x10" * 8 * 13 * 66)  # exactly the first clause's estimated length
    secondary = FakeTts(audio_per_push=b"\x20" * 800)
    tts = FailoverTextToSpeech(TtsEndpoint("tts:primary", primary, board.get("tts:primary", ONE_FAILURE_OPENS)),
                               TtsEndpoint("tts:secondary", secondary, board.get("tts:secondary")),
                               log=FailoverLog("ca_1"))  # fmt: skip
    await tts.connect()

    utterance = tts.start_utterance("r1")
    await utterance.push("Hello there. ")
    await utterance.push("We open at nine. ")
    await utterance.finish()
    audio = b"".join([chunk async for chunk in utterance.audio()])

    # the first clause in the primary voice, then the failed clause onwards in the secondary voice
    assert audio == primary.audio_per_push + b"\x20" * 800
    assert secondary.utterances["r1"].pushed == ["We open at nine. "]
    assert secondary.utterances["r1"].finished
    assert tts.on_secondary and board.get("tts:primary").state is BreakerState.OPEN
    # and the rest of the call speaks with the secondary voice
    later = tts.start_utterance("r2")
    await later.push("Anything else?")
    await later.finish()
    assert b"".join([chunk async for chunk in later.audio()]) == b"\x20" * 800
    assert "r2" not in primary.utterances


async def test_a_tts_failure_on_the_secondary_is_raised() -> None:
    board = BreakerBoard()
    tts = FailoverTextToSpeech(TtsEndpoint("tts:primary", BreakingTts(), board.get("tts:primary")),
                               TtsEndpoint("tts:secondary", BreakingTts(), board.get("tts:secondary")),
                               log=FailoverLog("ca_1"))  # fmt: skip
    await tts.connect()
    utterance = tts.start_utterance("r1")
    await utterance.push("One. ")
    await utterance.push("Two.")
    await utterance.finish()

    with pytest.raises(ProviderError):
        async for _ in utterance.audio():
            pass


async def test_a_call_starts_on_the_secondary_voice_while_the_primary_breaker_is_open() -> None:
    board = BreakerBoard()
    board.get("tts:primary", ONE_FAILURE_OPENS).record_failure()
    primary, secondary = FakeTts(), FakeTts()
    tts = FailoverTextToSpeech(TtsEndpoint("tts:primary", primary, board.get("tts:primary")),
                               TtsEndpoint("tts:secondary", secondary, board.get("tts:secondary")),
                               log=FailoverLog("ca_1"))  # fmt: skip

    await tts.connect()
    utterance = tts.start_utterance("greeting")
    await utterance.push("Hi!")
    await utterance.finish()
    await collect(utterance.audio())

    assert not primary.connected and secondary.connected
    assert list(secondary.utterances) == ["greeting"]


async def test_cancelling_a_turn_stops_it_promptly() -> None:
    board = BreakerBoard()
    primary = FakeTts()
    tts = FailoverTextToSpeech(TtsEndpoint("tts:primary", primary, board.get("tts:primary")),
                               TtsEndpoint("tts:secondary", FakeTts(), board.get("tts:secondary")),
                               log=FailoverLog("ca_1"))  # fmt: skip
    await tts.connect()
    utterance = tts.start_utterance("r1")
    await utterance.push("A long reply. ")
    await utterance.cancel()

    async with asyncio.timeout(1):
        await collect(utterance.audio())
    assert primary.utterances["r1"].cancelled


# -- STT --------------------------------------------------------------------------------------


class NamedStt:
    def __init__(self, name: str) -> None:
        self.name = name


def stt_failover(board: BreakerBoard, attempts: int = 2) -> SttFailover:
    policy = FailoverPolicy.from_settings(ResilienceSettings(stt_reconnect_attempts=attempts,
                                                             reconnect_backoff={"base_ms": 100, "jitter": 0.0}))  # type: ignore[arg-type]  # fmt: skip
    endpoints = [SttEndpoint(name, (lambda n=name: NamedStt(n)), board.get(name, ONE_FAILURE_OPENS))  # type: ignore[misc, arg-type]
                 for name in ("stt:primary", "stt:secondary")]  # fmt: skip
    return SttFailover(endpoints, policy=policy, log=FailoverLog("ca_1"))


def opened(stream: SpeechToText | NamedStt) -> str:
    assert isinstance(stream, NamedStt)
    return stream.name


def test_reconnects_try_the_primary_with_backoff_then_switch_to_the_secondary() -> None:
    failover = stt_failover(BreakerBoard(), attempts=2)
    assert opened(failover.first()) == "stt:primary"

    plan = [(delay, opened(open_stream())) for delay, open_stream in failover.plan()]

    assert plan == [(0.0, "stt:primary"), (0.1, "stt:primary"), (0.0, "stt:secondary"), (0.1, "stt:secondary")]
    assert failover.log.events == [("stt failover", {"reason": "reconnect_failed", "from_endpoint": "stt:primary",
                                                     "to_endpoint": "stt:secondary"})]  # fmt: skip


def test_a_reconnect_skips_an_endpoint_whose_breaker_is_open() -> None:
    board = BreakerBoard()
    failover = stt_failover(board)
    failover.first()
    failover.report(False, ProviderError("deepgram", "dropped", retryable=True))  # opens the primary's breaker

    plan = [opened(open_stream()) for _, open_stream in failover.plan()]

    assert plan == ["stt:secondary", "stt:secondary"]


def test_a_new_call_starts_on_the_secondary_while_the_primary_breaker_is_open() -> None:
    board = BreakerBoard()
    board.get("stt:primary", ONE_FAILURE_OPENS).record_failure()
    failover = stt_failover(board)

    assert opened(failover.first()) == "stt:secondary"
    assert failover.log.events[0][1]["reason"] == "breaker_open"
