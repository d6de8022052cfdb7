"""A simulated Twilio/Telnyx caller for a media worker (tests, ``python -m switchboard.caller``, bench, demo)."""

from .caller import CallerRecord, ReceivedFrame, SimulatedCaller, frame_rms
from .playback import PlaybackBuffer
from .wire import Carrier, Encoder, Outbound, StreamInfo, decode_outbound

__all__ = [
    "CallerRecord",
    "Carrier",
    "Encoder",
    "Outbound",
    "PlaybackBuffer",
    "ReceivedFrame",
    "SimulatedCaller",
    "StreamInfo",
    "decode_outbound",
    "frame_rms",
]
