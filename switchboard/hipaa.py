"""HIPAA mode, the provider rule: a HIPAA assistant may only use providers marked BAA-eligible.

Which vendors have signed a Business Associate Agreement with the team is configuration, not code:
the stage lists them in ``SWITCHBOARD_BAA_PROVIDERS`` (comma-separated provider names as they appear
in assistant settings, e.g. ``deepgram,openai``). Local providers (``*_local``) run inside the
account and are always eligible; ``crm.provider = none`` sends nothing anywhere.

Storage and logging rules of HIPAA mode live in :func:`switchboard.retention.storage_plan` and
:mod:`switchboard.log_redaction`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from .errors import SwitchboardError
from .models import Assistant

ENV_BAA_PROVIDERS = "SWITCHBOARD_BAA_PROVIDERS"
ALWAYS_ELIGIBLE = frozenset({"whisper_local", "llama_local", "piper_local", "none"})


class NotBaaEligible(SwitchboardError, ValueError):
    """A HIPAA assistant names a provider that is not marked BAA-eligible."""

    def __init__(self, violations: list[str]) -> None:
        super().__init__("providers not marked BAA-eligible for a HIPAA assistant: " + ", ".join(violations))
        self.violations = violations


def baa_providers(env: Mapping[str, str]) -> frozenset[str]:
    """The BAA-eligible providers configured in *env* (``SWITCHBOARD_BAA_PROVIDERS``)."""
    raw = env.get(ENV_BAA_PROVIDERS, "")
    return frozenset(name.strip().lower() for name in raw.split(",") if name.strip())


def baa_violations(assistant: Assistant, eligible: Collection[str]) -> list[str]:
    """``role:provider`` for every provider of a HIPAA assistant that is not eligible (empty otherwise)."""
    if not assistant.compliance.hipaa_mode:
        return []
    allowed = ALWAYS_ELIGIBLE | {name.lower() for name in eligible}
    used = (("stt", assistant.stt.provider), ("llm", assistant.llm.provider), ("tts", assistant.tts.provider),
            ("crm", assistant.crm.provider))
    return [f"{role}:{provider}" for role, provider in used if provider not in allowed]


def check_baa(assistant: Assistant, eligible: Collection[str]) -> None:
    """Raise :class:`NotBaaEligible` if the assistant is a HIPAA assistant with a non-eligible provider."""
    violations = baa_violations(assistant, eligible)
    if violations:
        raise NotBaaEligible(violations)
