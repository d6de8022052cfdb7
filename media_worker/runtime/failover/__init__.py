"""Failover: the one policy, in one place in the runtime.

Adapters stay dumb (they raise ``ProviderError(retryable=...)`` and retry only their own connect
through ``providers.retry``); which provider a call uses, when it moves to a secondary, the
deadlines and the reconnect backoff are decided here, per assistant (``Assistant.resilience``),
with worker-wide circuit breakers (``runtime.breakers``):

- STT (:mod:`.stt`): reconnect with backoff, then the next endpoint; the lane replays buffered audio.
- LLM (:mod:`.llm`): first-token deadline or an error -> cancel, retry once on the secondary.
- TTS (:mod:`.tts`): an error -> the rest of the call on the secondary voice, from the failed clause.

The wrappers implement the same Protocols as the adapters, so the executor and the session do
not know failover exists; :class:`CallFailover` carries what the session binds (the call's log)
and the STT plan the lane follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from media_worker.runtime.logs import CallLogger

from .llm import FailoverLanguageModel, LlmEndpoint
from .policy import CALL_BEING_OPENED, FailoverEndpoints, FailoverLog, FailoverPolicy
from .stt import SttEndpoint, SttFailover
from .tts import FailoverTextToSpeech, FailoverUtterance, TtsEndpoint, clauses_to_replay


@dataclass
class CallFailover:
    """One call's failover state: its log, and the wrappers that were built (None: no secondary)."""

    log: FailoverLog = field(default_factory=FailoverLog)
    stt: SttFailover | None = None
    llm: FailoverLanguageModel | None = None
    tts: FailoverTextToSpeech | None = None

    def bind(self, call_log: CallLogger) -> None:
        self.log.bind(call_log)


__all__ = [
    "CALL_BEING_OPENED",
    "CallFailover",
    "FailoverEndpoints",
    "FailoverLanguageModel",
    "FailoverLog",
    "FailoverPolicy",
    "FailoverTextToSpeech",
    "FailoverUtterance",
    "LlmEndpoint",
    "SttEndpoint",
    "SttFailover",
    "TtsEndpoint",
    "clauses_to_replay",
]
