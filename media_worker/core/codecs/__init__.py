"""Pure carrier codecs: ``parse(text) -> event`` and ``serialize_*(...) -> text``, plus ordering helpers."""

from . import telnyx, twilio
from .reorder import JitterReorderer, Reordered
from .sequence import SequenceGap, SequenceTracker
from .types import (
    MAX_FRAME_CHARS,
    STREAM_TOKEN_PARAMETER,
    CarrierError,
    CarrierEvent,
    ConnectedEvent,
    DtmfEvent,
    MalformedFrame,
    MarkEvent,
    MediaEvent,
    MediaFormat,
    ParseResult,
    StartEvent,
    StopEvent,
    UnknownEvent,
)

__all__ = [
    "MAX_FRAME_CHARS",
    "STREAM_TOKEN_PARAMETER",
    "CarrierError",
    "CarrierEvent",
    "ConnectedEvent",
    "DtmfEvent",
    "JitterReorderer",
    "MalformedFrame",
    "MarkEvent",
    "MediaEvent",
    "MediaFormat",
    "ParseResult",
    "Reordered",
    "SequenceGap",
    "SequenceTracker",
    "StartEvent",
    "StopEvent",
    "UnknownEvent",
    "telnyx",
    "twilio",
]
