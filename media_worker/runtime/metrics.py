"""CloudWatch Embedded Metric Format (EMF), written as JSON lines to stdout.

On Fargate the awslogs driver ships stdout to CloudWatch Logs, which turns EMF lines into
metrics; no agent and no API call. Every metric carries the ``Stage`` dimension (the deployment
stage, as the dashboard, alarms and autoscaling expect, see ``infra/monitoring.py``):

- ``VoiceToVoiceMs`` per caller turn, and one ``<Stage>Ms`` metric per pipeline stage
  (``EndpointingMs``, ``LlmFirstTokenMs``...) in the same line;
- ``ActiveCalls`` every ``interval_s`` from :meth:`MetricsEmitter.active_calls_task`.

A line costs a ``json.dumps`` and one short write: cheap enough for the event loop.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from switchboard.resources import (
    METRIC_ACTIVE_CALLS,
    METRIC_DIMENSION_STAGE,
    METRIC_NAMESPACE,
    METRIC_VOICE_TO_VOICE_MS,
)

from .latency import TurnLatency


def stage_metric_name(stage: str) -> str:
    """``llm_first_token`` -> ``LlmFirstTokenMs``."""
    return "".join(part.capitalize() for part in stage.split("_")) + "Ms"


def _stdout_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class MetricsEmitter:
    def __init__(
        self,
        *,
        stage: str,
        namespace: str = METRIC_NAMESPACE,
        write: Callable[[str], None] = _stdout_line,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stage = stage
        self._namespace = namespace
        self._write = write
        self._clock = clock

    def turn(self, call_id: str, latency: TurnLatency) -> None:
        values = {METRIC_VOICE_TO_VOICE_MS: latency.voice_to_voice_ms}
        values.update({stage_metric_name(s): ms for s, ms in latency.stages_ms.items()})
        self._emit(values, unit="Milliseconds", call_id=call_id, turn=latency.turn_index)

    def active_calls(self, count: int) -> None:
        self._emit({METRIC_ACTIVE_CALLS: float(count)}, unit="Count")

    async def active_calls_task(self, count: Callable[[], int], interval_s: float = 10.0) -> None:
        """Emit the gauge now and then every ``interval_s`` until cancelled."""
        while True:
            self.active_calls(count())
            await asyncio.sleep(interval_s)

    def _emit(self, values: dict[str, float], *, unit: str, **properties: Any) -> None:
        document: dict[str, Any] = {
            "_aws": {
                "Timestamp": int(self._clock() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self._namespace,
                        "Dimensions": [[METRIC_DIMENSION_STAGE]],
                        "Metrics": [{"Name": name, "Unit": unit} for name in values],
                    }
                ],
            },
            METRIC_DIMENSION_STAGE: self._stage,
            **properties,
            **{name: round(value, 1) for name, value in values.items()},
        }
        self._write(json.dumps(document, separators=(",", ":")))
