"""``LlamaCppLanguageModel``: an offline LLM (llama.cpp via llama-cpp-python, SmolLM2-135M-Instruct
by default) with the ``LanguageModel`` contract: streamed ``TextDelta``s, or a ``ToolCallRequested``,
then ``Usage`` and ``Finished``.

How tool calling works: the prompt lists the tools and shows worked examples; a GBNF grammar
forces each reply to be either one spoken line or one JSON tool call whose arguments match the
tool's schema. Text streams token by token; a reply that starts with ``{`` is collected and
emitted as one ``ToolCallRequested`` (``Finished("tool_calls")``). Right after a tool result the
grammar allows text only, so the model cannot loop on calls.

Limits, honestly: a 135M model is a form-filler, not an agent. It picks the right tool when one is
clearly asked for, but argument values are often paraphrased or wrong (5 of 8 correct in our
checks), it sometimes calls a tool when none is needed, and its small talk is shallow. Point the
model path at a stronger GGUF, or use ``OpenAILanguageModel`` against any OpenAI-compatible
server, for anything beyond a demo.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncGenerator, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from media_worker.providers.base import Finished, LlmEvent, Message, TextDelta, ToolCallRequested, ToolSpec, Usage
from media_worker.providers.offline import deps, prompting
from media_worker.providers.offline.threads import ModelWorker
from switchboard.errors import ProviderError

PROVIDER = "llama_local"


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str


@dataclass(frozen=True, slots=True)
class _Done:
    reason: str
    prompt_tokens: int
    completion_tokens: int


class LlamaEngine:
    """One GGUF model, loaded once per process and shared by every call; one request at a time
    on its own thread (a llama.cpp context is not thread-safe). ``load()`` blocks."""

    def __init__(self, llama: Any, *, n_ctx: int) -> None:
        self._llama = llama
        self.n_ctx = n_ctx
        self.worker = ModelWorker("llama")
        self._grammars: dict[str, Any] = {}

    @classmethod
    def load(cls, *, model_path: Path | None = None, n_ctx: int = 2048, n_threads: int = 1) -> LlamaEngine:
        """``n_threads`` defaults to 1: llama.cpp threads spin-wait for each other, and when the
        cores are shared (Whisper, Piper, the worker itself) two threads were measured up to 10x
        slower than one; a 135M model is fast enough on one core."""
        deps.require(deps.LLM_MODULES, PROVIDER)
        from llama_cpp import Llama

        path = model_path or deps.smollm2_path()
        llama = Llama(
            str(path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads, n_batch=512, seed=0, verbose=False
        )
        return cls(llama, n_ctx=n_ctx)

    def grammar_text(self, tools: Sequence[prompting.Tool]) -> str:
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        return prompting.grammar(tools, json_schema_to_gbnf)

    def generate(
        self,
        fixed: Sequence[Message],
        conversation: Sequence[Message],
        grammar: str,
        *,
        max_tokens: int,
        temperature: float,
        seed: int,
        stop: threading.Event,
    ) -> Iterator[_Piece | _Done]:
        """Blocking: the completion of ``fixed + conversation``, piece by piece, then one ``_Done``."""
        prompt_tokens = self._fit(fixed, conversation, max_tokens)
        completion_tokens = 0
        reason = "stop"
        chunks = self._llama.create_completion(
            prompt_tokens,
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
            stream=True,
            grammar=self._grammar(grammar),
            stop=["<|im_end|>", "<|im_start|>"],
        )
        for chunk in chunks:
            if stop.is_set():
                reason = "cancelled"
                break
            choice = chunk["choices"][0]
            if choice.get("text"):
                completion_tokens += 1
                yield _Piece(choice["text"])
            if choice.get("finish_reason"):
                reason = choice["finish_reason"]
        yield _Done(reason, len(prompt_tokens), completion_tokens)

    def prefill(self, fixed: Sequence[Message]) -> int:
        """Blocking: evaluate the fixed prompt prefix now, so the next request whose prompt starts
        with it only evaluates what follows (llama-cpp-python reuses the longest cached prefix).
        Returns the number of prefix tokens."""
        tokens: list[int] = self._llama.tokenize(prompting.render(fixed, generation=False).encode(), special=True)
        self._llama.reset()
        self._llama.eval(tokens)
        return len(tokens)

    def _fit(self, fixed: Sequence[Message], conversation: Sequence[Message], max_tokens: int) -> list[int]:
        """Tokens of the rendered prompt, dropping the oldest conversation turns (never ``fixed``:
        the system prompt and examples) until it fits the context with room for the reply."""
        body = list(conversation)
        while True:
            tokens: list[int] = self._llama.tokenize(prompting.render([*fixed, *body]).encode(), special=True)
            if len(tokens) + max_tokens <= self.n_ctx or len(body) <= 1:
                return tokens
            body = body[1:]

    def _grammar(self, text: str) -> Any:
        grammar = self._grammars.get(text)
        if grammar is None:
            from llama_cpp.llama_grammar import LlamaGrammar

            grammar = LlamaGrammar.from_string(text, verbose=False)
            self._grammars[text] = grammar
        return grammar

    def close(self) -> None:
        self.worker.shutdown()


class LlamaCppLanguageModel:
    """``stream(messages, tools)`` yields TextDelta / ToolCallRequested, Usage, then Finished.

    ``temperature=0`` (the default) is greedy and deterministic; with a temperature, ``seed``
    makes runs repeatable. ``examples`` (OpenAI-shaped turns) replace the built-in few-shot turns.
    Closing the iterator stops generation after the current token.
    """

    def __init__(
        self,
        engine: LlamaEngine,
        *,
        max_tokens: int | None = 150,
        temperature: float | None = 0.0,
        seed: int = 0,
        examples: Sequence[Message] | None = None,
    ) -> None:
        self._engine = engine
        self._max_tokens = max_tokens or 150
        self._temperature = temperature or 0.0
        self._seed = seed
        self._examples = examples

    async def stream(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()
    ) -> AsyncGenerator[LlmEvent, None]:
        offered = prompting.tools_from_specs(tools)
        after_tool_result = bool(messages) and messages[-1].get("role") == "tool"
        callable_tools = [] if after_tool_result else offered
        fixed, conversation = self._prompt(messages, offered)
        grammar = self._engine.grammar_text(callable_tools)
        pieces = self._engine.worker.stream(
            lambda stop: self._engine.generate(
                fixed,
                conversation,
                grammar,
                max_tokens=self._max_tokens,
                temperature=self._temperature,
                seed=self._seed,
                stop=stop,
            )
        )
        call: list[str] | None = None
        speaking = False
        try:
            async for item in pieces:
                if isinstance(item, _Done):
                    yield Usage(item.prompt_tokens, item.completion_tokens)
                    if call is not None:
                        yield self._tool_call("".join(call), item.reason)
                        yield Finished("tool_calls")
                    else:
                        yield Finished(item.reason)
                    return
                if call is not None:
                    call.append(item.text)
                elif speaking:
                    yield TextDelta(item.text)
                elif item.text.lstrip().startswith(prompting.CALL_START):
                    call = [item.text]
                elif item.text.strip():
                    speaking = True
                    yield TextDelta(item.text.lstrip())
        except ProviderError:
            raise
        except Exception as exc:
            raise ProviderError(PROVIDER, f"generation failed ({type(exc).__name__})", retryable=False) from None
        raise ProviderError(PROVIDER, "generation ended without finishing", retryable=False)

    async def prewarm(self, messages: Sequence[Message], tools: Sequence[ToolSpec] = ()) -> None:
        """Evaluate the system prompt, tool list and examples ahead of the first request (call
        start). Saves the first reply ~0.5-2 s of prompt processing on 2 cores. Optional."""
        fixed, _ = self._prompt(messages, prompting.tools_from_specs(tools))
        await self._engine.worker.run(partial(self._engine.prefill, fixed))

    def _prompt(
        self, messages: Sequence[Message], tools: Sequence[prompting.Tool]
    ) -> tuple[list[Message], list[Message]]:
        """(system prompt with the tool list + examples, the conversation)."""
        system = [m for m in messages[:1] if m.get("role") == "system"]
        conversation = list(messages[len(system) :])
        system_prompt = str(system[0].get("content") or "") if system else ""
        shots = list(self._examples) if self._examples is not None else prompting.examples(tools)
        return [{"role": "system", "content": prompting.system_text(system_prompt, tools)}, *shots], conversation

    @staticmethod
    def _tool_call(text: str, reason: str) -> ToolCallRequested:
        if reason == "length":
            raise ProviderError(PROVIDER, "tool call cut off by max_tokens", retryable=False)
        try:
            name, arguments = prompting.parse_call(text)
        except ValueError:
            raise ProviderError(PROVIDER, "malformed tool call", retryable=False) from None
        return ToolCallRequested(f"call_{uuid.uuid4().hex[:16]}", name, arguments)
