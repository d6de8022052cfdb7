"""The simulated caller's Twilio side: a signed voice webhook call setup accepts, the TwiML it answers
with, and caller audio from WAV files."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from twilio.request_validator import RequestValidator

from switchboard.caller.__main__ import main as console_main
from switchboard.caller.caller import frame_rms
from switchboard.caller.cli import CallRefused, parse_stream_twiml, voice_webhook_params
from switchboard.caller.script import read_wav_mulaw, trim_silence
from switchboard.telephony import twiml


def test_the_stream_and_its_parameters_come_from_the_connect_answer() -> None:
    document = twiml.connect_stream("ws://127.0.0.1:9/twilio", {"token": "t0k", "call_id": "call_1"})
    url, parameters = parse_stream_twiml(document)
    assert url == "ws://127.0.0.1:9/twilio"
    assert parameters == {"token": "t0k", "call_id": "call_1"}


def test_an_answer_without_a_stream_is_a_refusal_with_what_was_said() -> None:
    with pytest.raises(CallRefused, match="not in service"):
        parse_stream_twiml(twiml.say_and_hang_up("This number is not in service."))


def test_the_webhook_signature_is_twilios() -> None:
    params = voice_webhook_params("CA1", "+14155550123", "+14155550199")
    url = "http://127.0.0.1:8000/twilio/voice"
    signature = RequestValidator("secret-token").compute_signature(url, params)
    assert RequestValidator("secret-token").validate(url, params, signature)
    assert not RequestValidator("other-token").validate(url, params, signature)


def test_a_wav_file_becomes_8khz_mulaw_trimmed_to_the_speech(tmp_path: Path) -> None:
    # given a 16 kHz stereo WAV: 0.5 s silence, 1 s tone, 0.5 s silence
    t = np.arange(16000) / 16000
    tone = (8000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)
    mono = np.concatenate([np.zeros(8000, np.int16), tone, np.zeros(8000, np.int16)])
    path = tmp_path / "line.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(np.repeat(mono, 2).tobytes())
    # when it is read and trimmed
    audio = trim_silence(read_wav_mulaw(path))
    # then about one second of loud 8 kHz audio is left
    assert abs(len(audio) - 8000) <= 320
    assert frame_rms(audio[:160]) > 1000 and frame_rms(audio[-160:]) > 1000


def test_the_console_script_needs_an_auth_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="auth token"):
        console_main(["--api", "http://127.0.0.1:9", "--to", "+14155550199", "--say", "hi"])
