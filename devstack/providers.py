"""Which speech and language providers the local stack uses, and what the worker needs for them.

Modes (``--providers``):

- ``auto`` (default): per role, the real vendor when its key is set (``DEEPGRAM_API_KEY``,
  ``OPENAI_API_KEY``, ``CARTESIA_API_KEY``), else the offline model (Whisper, SmolLM2 via
  llama.cpp, Piper). With no keys at all this is the offline demo; with all three, the real one.
- ``offline``: the three offline models, whatever keys are set.
- ``real``: the three vendors; all three keys are required.
- ``fakes``: the three vendors' SDKs against the local wire-level fakes (``fakes/``): a scripted
  STT and LLM, a buzzing TTS. Every layer of the platform runs, with no models and no keys (CI).

The demo assistant's ``stt/llm/tts.provider`` follow the plan (see :meth:`ProviderPlan.assistant_fields`),
so the worker's per-assistant provider choice does the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from media_worker.providers.offline import deps
from switchboard.templates import TEMPLATES

Mode = Literal["auto", "offline", "real", "fakes"]
MODES: tuple[Mode, ...] = ("auto", "offline", "real", "fakes")
KEY_ENV = {"stt": "DEEPGRAM_API_KEY", "llm": "OPENAI_API_KEY", "tts": "CARTESIA_API_KEY"}
VENDOR = {"stt": "deepgram", "llm": "openai", "tts": "cartesia"}
LOCAL = {"stt": "whisper_local", "llm": "llama_local", "tts": "piper_local"}
ENGINE = {"stt": "whisper", "llm": "llama", "tts": "piper"}
ROLES = ("stt", "llm", "tts")


class ProvidersUnavailable(RuntimeError):
    """The chosen mode cannot run here (a key or the offline models are missing); the message says what to do."""


@dataclass(frozen=True, slots=True)
class ProviderPlan:
    mode: Mode
    roles: Mapping[str, str]
    """role -> provider name as the assistant spells it (``deepgram``, ``whisper_local``...)"""

    @property
    def fakes(self) -> bool:
        return self.mode == "fakes"

    def is_local(self, role: str) -> bool:
        return self.roles[role] == LOCAL[role]

    @property
    def local_engines(self) -> tuple[str, ...]:
        return tuple(ENGINE[role] for role in ROLES if self.is_local(role))

    def describe(self) -> str:
        def one(role: str) -> str:
            kind = "offline" if self.is_local(role) else ("local fake" if self.fakes else "real")
            return f"{role.upper()} {self.roles[role]} ({kind})"

        return ", ".join(one(role) for role in ROLES)

    def assistant_fields(self) -> dict[str, Any]:
        """Provider settings for the demo assistant, over the ``offline-local`` template."""
        best = TEMPLATES["best-of-breed-english"]
        fields: dict[str, Any] = {}
        for role in ROLES:
            if not self.is_local(role):
                fields[role] = dict(best[role])
        if not self.is_local("tts"):
            fields["tts"] = {**fields["tts"], "voice": {"id": "a0e99841-438c-4a64-b679-ae501e7d6091"}}
        if not self.is_local("stt"):
            fields["turn_taking"] = dict(best["turn_taking"])
        return fields


def plan_providers(mode: Mode, env: Mapping[str, str]) -> ProviderPlan:
    """The plan for ``mode`` given the environment's keys; :class:`ProvidersUnavailable` if it cannot run."""
    has_key = {role: bool(env.get(KEY_ENV[role], "").strip()) for role in ROLES}
    if mode == "fakes":
        return ProviderPlan(mode, dict(VENDOR))
    if mode == "real":
        missing = [KEY_ENV[role] for role in ROLES if not has_key[role]]
        if missing:
            raise ProvidersUnavailable(f"--providers real needs {', '.join(missing)}")
        return ProviderPlan(mode, dict(VENDOR))
    roles = {role: VENDOR[role] if mode == "auto" and has_key[role] else LOCAL[role] for role in ROLES}
    plan = ProviderPlan(mode, roles)
    # the worker loads the three offline engines together (OfflineEngines) when any role is local
    absent = deps.missing() if plan.local_engines else []
    if absent:
        raise ProvidersUnavailable(
            f"the offline models are not installed ({', '.join(absent)}): run `make demo-deps` "
            "(or scripts/install_demo_deps.sh), set DEEPGRAM_API_KEY/OPENAI_API_KEY/CARTESIA_API_KEY, "
            "or use --providers fakes"
        )
    return plan
