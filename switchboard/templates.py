"""Assistant templates: provider, turn-taking and compliance presets, so a system prompt is enough.

A template is a partial assistant (JSON form). :func:`apply_template` deep-merges the caller's
fields over it; objects merge key by key, everything else (strings, numbers, arrays) replaces.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal, get_args

TemplateName = Literal["best-of-breed-english", "low-latency-english", "offline-local"]
TEMPLATE_NAMES: tuple[str, ...] = get_args(TemplateName)

TEMPLATES: dict[str, dict[str, Any]] = {
    "best-of-breed-english": {
        "language": "en",
        "stt": {
            "provider": "deepgram",
            "model": "nova-3",
            "options": {"smart_format": True, "interim_results": True, "vad_events": True},
        },
        "llm": {"provider": "openai", "model": "gpt-4o-mini", "temperature": 0.4, "max_tokens": 300},
        "tts": {"provider": "cartesia", "model": "sonic-3"},
        # Tuned turn-taking: a short endpointing window with a hold while the caller is mid number or
        # spelling, and barge-in only after real words (not a cough).
        "turn_taking": {
            "endpointing_ms": 300,
            "utterance_end_ms": 1000,
            "silence_fallback_ms": 900,
            "hold_incomplete_ms": 1200,
            "barge_in_min_words": 2,
            "barge_in_min_ms": 300,
        },
    },
    "low-latency-english": {
        "language": "en",
        "stt": {"provider": "deepgram", "model": "nova-3", "options": {"interim_results": True}},
        "llm": {"provider": "openai", "model": "gpt-4o-mini", "temperature": 0.3, "max_tokens": 150},
        "tts": {"provider": "cartesia", "model": "sonic-3"},
        "turn_taking": {"endpointing_ms": 200, "silence_fallback_ms": 600, "hold_incomplete_ms": 800},
    },
    "offline-local": {
        "language": "en",
        "stt": {"provider": "whisper_local", "model": "tiny.en"},
        "llm": {"provider": "llama_local", "model": "SmolLM2-135M-Instruct", "max_tokens": 150},
        "tts": {"provider": "piper_local", "model": "en_US-joe-medium", "voice": {"id": "joe"}},
        "turn_taking": {"endpointing_ms": 500, "silence_fallback_ms": 700},
    },
}


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """*base* with *override* on top: nested objects merge, other values replace."""
    merged: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def apply_template(name: str | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The assistant fields: template *name* (``None``: model defaults only) with *fields* merged over it."""
    if name is None:
        return deep_merge({}, fields)
    if name not in TEMPLATES:
        raise KeyError(f"unknown template {name!r}; known: {', '.join(TEMPLATE_NAMES)}")
    return deep_merge(TEMPLATES[name], fields)
