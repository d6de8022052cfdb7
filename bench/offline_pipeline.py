"""Offline pipeline latency: Silero + Whisper tiny.en -> SmolLM2 (llama.cpp) -> Piper, no network.

For each scripted caller line: Piper speaks it (not timed), the audio goes to
``WhisperSpeechToText`` in real time as 20 ms frames, the final transcript goes to
``LlamaCppLanguageModel`` with the ``create_support_ticket`` tool, and the streamed reply goes
to ``PiperTextToSpeech`` clause by clause. Reports, per turn:

- ``stt``: end of caller speech -> final transcript (includes the ``endpointing_ms`` silence wait;
  ``asr`` is the Whisper part, after the segment closed);
- ``llm``: transcript -> first text token, or -> the complete tool call;
- ``tts``: first text pushed -> first audio chunk;
- ``first audio``: end of caller speech -> first reply audio chunk (the caller-perceived gap;
  none for a tool call, whose spoken answer comes after the tool result);
- ``wer``: word error rate of the transcript against the line.

Also the model load times and peak memory. Usage: ``.venv/bin/python bench/offline_pipeline.py
[--turns 6] [--endpointing-ms 500]``. Needs scripts/install_demo_deps.sh. Numbers depend on the
machine and on what else runs on it: compare runs on an idle machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from media_worker.providers import TextDelta, ToolCallRequested, Transcript  # noqa: E402
from media_worker.providers.offline import (  # noqa: E402
    LlamaCppLanguageModel,
    LlamaEngine,
    PiperEngine,
    PiperTextToSpeech,
    WhisperEngine,
    WhisperSpeechToText,
    deps,
)

SYSTEM = "You are the friendly phone assistant of Acme Support. Help callers with their problems."
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "create_support_ticket",
            "description": "Create a support ticket in our system",
            "parameters": {
                "type": "object",
                "properties": {
                    "summary": {"type": "string"},
                    "priority": {"enum": ["low", "medium", "high"]},
                    "customer_email": {"type": "string"},
                },
            },
        },
    },
    {  # offered on every call by the runtime (media_worker.core.config)
        "type": "function",
        "function": {
            "name": "end_call",
            "description": "End the call after saying goodbye. Use when the caller is done or asks to hang up.",
            "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
        },
    },
]
LINES = (
    "Hi, is this the support line?",
    "My laptop screen keeps flickering, can you open a ticket for me?",
    "What are your opening hours on Saturday?",
    "Please create a ticket, the printer on the second floor is jammed again.",
    "Can you tell me who I am speaking with?",
    "My password reset email never arrives, please log a ticket. It is urgent.",
)
FRAME = 160  # 20 ms of mu-law at 8 kHz


@dataclass
class Turn:
    line: str
    transcript: str = ""
    wer: float = 0.0
    stt_s: float = 0.0
    asr_s: float = 0.0
    llm_s: float = 0.0
    tts_s: float | None = None
    first_audio_s: float | None = None
    reply: str = ""


def word_error_rate(reference: str, hypothesis: str) -> float:
    def words(text: str) -> list[str]:
        return "".join(c if c.isalnum() or c in " '" else " " for c in text.lower()).split()

    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[len(hyp)] / max(1, len(ref))


def timed(label: str, fn: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    elapsed = time.perf_counter() - started
    print(f"  loaded {label:<8} {elapsed:6.2f} s", flush=True)
    return value, elapsed


async def turn(
    line: str, *, stt: WhisperSpeechToText, llm: LlamaCppLanguageModel, piper: PiperEngine, endpointing_ms: int
) -> Turn:
    result = Turn(line)
    audio = b"".join(await asyncio.to_thread(lambda: list(piper.synthesize(line, threading.Event()))))
    audio = b"\xff" * 2400 + audio + b"\xff" * 8000 * 2
    speech_end = 0.0
    closed_at = 0.0
    events = aiter(stt.events())

    async def send_realtime() -> None:
        nonlocal speech_end
        started = time.perf_counter()
        speech_bytes = len(audio) - 8000 * 2
        for n, i in enumerate(range(0, len(audio), FRAME)):
            await stt.send_audio(audio[i : i + FRAME])
            if i + FRAME >= speech_bytes and not speech_end:
                speech_end = time.perf_counter()
            await asyncio.sleep(max(0.0, started + (n + 1) * 0.02 - time.perf_counter()))

    sender = asyncio.create_task(send_realtime())
    transcript: Transcript | None = None
    while transcript is None:
        event = await anext(events)
        if isinstance(event, Transcript) and event.is_final:
            transcript = event
    got_transcript = time.perf_counter()
    closed_at = speech_end + endpointing_ms / 1000
    result.transcript, result.wer = transcript.text, word_error_rate(line, transcript.text)
    result.stt_s = got_transcript - speech_end
    result.asr_s = max(0.0, got_transcript - closed_at)

    tts = PiperTextToSpeech(piper)
    await tts.connect()
    utterance = tts.start_utterance("reply")
    first_push = 0.0
    first_audio: list[float] = []

    async def listen() -> None:
        async for _chunk in utterance.audio():
            if not first_audio:
                first_audio.append(time.perf_counter())

    listener = asyncio.create_task(listen())
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": transcript.text}]
    started = time.perf_counter()
    async for llm_event in llm.stream(messages, TOOLS):
        if isinstance(llm_event, TextDelta):
            if not first_push:
                first_push = time.perf_counter()
                result.llm_s = first_push - started
            result.reply += llm_event.text
            await utterance.push(llm_event.text)
        elif isinstance(llm_event, ToolCallRequested):
            result.llm_s = time.perf_counter() - started
            result.reply = f"-> {llm_event.name}({json.loads(llm_event.arguments_json)})"
    await utterance.finish()
    await listener
    await tts.aclose()
    await sender
    if first_audio and first_push:
        result.tts_s = first_audio[0] - first_push
        result.first_audio_s = first_audio[0] - speech_end
    return result


async def main_async(turns: int, endpointing_ms: int) -> None:
    absent = deps.missing()
    if absent:
        sys.exit(f"offline models not installed ({', '.join(absent)}): run scripts/install_demo_deps.sh")
    print("loading models")
    whisper, whisper_s = timed("whisper", WhisperEngine.load)
    piper, piper_s = timed("piper", PiperEngine.load)
    llama, llama_s = timed("llama", LlamaEngine.load)
    print(f"  total load {whisper_s + piper_s + llama_s:.2f} s")
    stt = WhisperSpeechToText(whisper, endpointing_ms=endpointing_ms)
    await stt.connect()
    llm = LlamaCppLanguageModel(llama)
    started = time.perf_counter()
    await llm.prewarm([{"role": "system", "content": SYSTEM}], TOOLS)  # at call start, as the runtime should
    print(f"  prewarm llm prompt {time.perf_counter() - started:.2f} s")
    results = []
    for line in (LINES * (turns // len(LINES) + 1))[:turns]:
        results.append(await turn(line, stt=stt, llm=llm, piper=piper, endpointing_ms=endpointing_ms))
        r = results[-1]
        first = f"{r.first_audio_s:5.2f}" if r.first_audio_s is not None else "    -"
        tts = f"{r.tts_s:5.2f}" if r.tts_s is not None else "    -"
        print(
            f"  stt {r.stt_s:5.2f} (asr {r.asr_s:4.2f})  llm {r.llm_s:5.2f}  tts {tts}  first audio {first}"
            f"  wer {r.wer:4.2f}  | {r.transcript!r} => {r.reply[:70]!r}",
            flush=True,
        )
    await stt.aclose()
    print_summary(results, endpointing_ms)
    for engine in (whisper, piper, llama):
        engine.close()


def print_summary(results: list[Turn], endpointing_ms: int) -> None:
    def row(name: str, values: list[float]) -> None:
        if values:
            p50 = statistics.median(values)
            print(f"  {name:<34} {p50:7.2f} {max(values):7.2f}")

    print(f"\nsummary over {len(results)} turns (endpointing {endpointing_ms} ms)   p50 s   max s")
    row("stt: end of speech -> transcript", [r.stt_s for r in results])
    row("  of which Whisper after endpoint", [r.asr_s for r in results])
    row("llm: first token / tool call", [r.llm_s for r in results])
    row("tts: first text -> first audio", [r.tts_s for r in results if r.tts_s is not None])
    row("first reply audio after speech", [r.first_audio_s for r in results if r.first_audio_s is not None])
    wers = [r.wer for r in results]
    print(f"  word error rate: mean {statistics.mean(wers):.3f}, max {max(wers):.3f}")
    print(f"  peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=len(LINES))
    parser.add_argument("--endpointing-ms", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main_async(args.turns, args.endpointing_ms))


if __name__ == "__main__":
    main()
