"""TwiML documents call setup returns to Twilio."""

from __future__ import annotations

from collections.abc import Mapping

from twilio.twiml.voice_response import VoiceResponse

TWIML_CONTENT_TYPE = "text/xml"
SAY_VOICE = "Polly.Joanna"


def connect_stream(stream_url: str, parameters: Mapping[str, str], *, status_callback: str | None = None) -> str:
    """``<Connect><Stream>`` (bidirectional) to *stream_url* with custom *parameters*."""
    response = VoiceResponse()
    connect = response.connect()
    stream_kwargs: dict[str, str] = {"url": stream_url}
    if status_callback:
        stream_kwargs["status_callback"] = status_callback
        stream_kwargs["status_callback_method"] = "POST"
    stream = connect.stream(**stream_kwargs)
    for name, value in parameters.items():
        stream.parameter(name=name, value=value)
    return str(response.to_xml())


def say_and_hang_up(message: str) -> str:
    """Speak *message*, then hang up."""
    response = VoiceResponse()
    response.say(message, voice=SAY_VOICE)
    response.hangup()
    return str(response.to_xml())


def empty_response() -> str:
    return str(VoiceResponse().to_xml())
