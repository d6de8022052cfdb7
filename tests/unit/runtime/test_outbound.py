"""The outbound lane: paced frames with a bounded lead, marks exactly where asked, flush semantics."""

from __future__ import annotations

import asyncio
import time

from media_worker.runtime.outbound import CarrierClosed, OutboundLane


def now_ms() -> float:
    return time.monotonic() * 1000.0


class RecordingSink:
    """A CarrierSink that records what the carrier would receive, with the time it was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, float, bytes | str]] = []
        self.changed = asyncio.Event()
        self.closed = False

    async def send_media(self, frame: bytes) -> None:
        self._record("media", frame)

    async def send_mark(self, name: str) -> None:
        self._record("mark", name)

    async def send_clear(self) -> None:
        self._record("clear", "")

    def _record(self, kind: str, payload: bytes | str) -> None:
        if self.closed:
            raise CarrierClosed
        self.sent.append((kind, now_ms(), payload))
        self.changed.set()

    def kinds(self) -> list[str]:
        return [k for k, _, _ in self.sent]

    def frames(self) -> list[bytes]:
        return [p for k, _, p in self.sent if k == "media" and isinstance(p, bytes)]

    async def wait_until(self, predicate: object, within_s: float = 5.0) -> None:
        assert callable(predicate)
        async with asyncio.timeout(within_s):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()


def audio(ms: int, byte: int = 0x10) -> bytes:
    return bytes([byte]) * (ms * 8)


async def test_frames_never_run_more_than_the_lead_ahead_of_playback() -> None:
    # given a lane with the default 200 ms lead
    sink = RecordingSink()
    lane = OutboundLane(sink, clock_ms=now_ms)
    lane.start()
    # when one second of audio is enqueued at once
    lane.enqueue_audio("r1", audio(1000))
    await sink.wait_until(lambda: len(sink.frames()) == 50)
    await lane.aclose()

    # then every frame is 20 ms, and when frame n went out no more than 200 ms (+1 frame) was unplayed
    media = [(t, p) for k, t, p in sink.sent if k == "media"]
    assert all(len(p) == 160 for _, p in media)
    first = media[0][0]
    for n, (sent_at, _) in enumerate(media):
        played_ms = sent_at - first
        ahead_ms = (n + 1) * 20 - played_ms
        assert ahead_ms <= lane.lead_ms + 20 + 1e-6, (n, ahead_ms)
    # and the audio was not sent in one burst: the last frame went out at least 1000 - 200 - 20 ms later
    assert media[-1][0] - first >= 1000 - lane.lead_ms - 20


async def test_marks_go_out_exactly_after_the_audio_enqueued_before_them() -> None:
    sink = RecordingSink()
    lane = OutboundLane(sink, clock_ms=now_ms)
    lane.start()
    # given 100 ms of audio, a mark, 60 ms more, an end mark
    lane.enqueue_audio("r1", audio(100))
    lane.enqueue_mark("r1@100")
    lane.enqueue_audio("r1", audio(60))
    lane.enqueue_mark("r1@end")
    await sink.wait_until(lambda: sink.kinds().count("mark") == 2)
    await lane.aclose()

    # then the carrier sees 5 frames, the mark, 3 frames, the end mark
    assert sink.kinds() == ["media"] * 5 + ["mark"] + ["media"] * 3 + ["mark"]
    assert [p for k, _, p in sink.sent if k == "mark"] == ["r1@100", "r1@end"]


async def test_a_partial_frame_is_padded_with_silence_so_the_mark_behind_it_is_sent() -> None:
    sink = RecordingSink()
    lane = OutboundLane(sink, clock_ms=now_ms)
    lane.start()
    # given 250 bytes of audio (1.56 frames) then an end mark
    lane.enqueue_audio("r1", b"\x10" * 250)
    lane.enqueue_mark("r1@end")
    await sink.wait_until(lambda: "mark" in sink.kinds())
    await lane.aclose()

    # then two frames went out, the second padded with mu-law silence, then the mark
    frames = sink.frames()
    assert sink.kinds() == ["media", "media", "mark"]
    assert frames[1] == b"\x10" * 90 + b"\xff" * 70


async def test_flush_drops_queued_audio_and_marks_sends_clear_and_later_audio_plays() -> None:
    sink = RecordingSink()
    first_frames: list[str] = []
    lane = OutboundLane(sink, clock_ms=now_ms, on_first_frame=first_frames.append)
    lane.start()
    # given two seconds of r1 audio with a mark behind it, partly sent
    lane.enqueue_audio("r1", audio(2000, 0x10))
    lane.enqueue_mark("r1@2000")
    await sink.wait_until(lambda: len(sink.frames()) >= 12)

    # when the lane is flushed, then r2 audio and its end mark are enqueued
    dropped = await lane.flush()
    lane.enqueue_audio("r2", audio(40, 0x20))
    lane.enqueue_mark("r2@end")
    await sink.wait_until(lambda: sink.kinds().count("mark") == 1)
    await lane.aclose()

    # then clear went out, r1's queued audio and mark never did, r2's audio and mark did
    kinds = sink.kinds()
    cleared_at = kinds.index("clear")
    after = sink.sent[cleared_at + 1 :]
    assert dropped > 50
    assert [p for k, _, p in after if k == "media"] == [b"\x20" * 160] * 2
    assert [p for k, _, p in sink.sent if k == "mark"] == ["r2@end"]
    assert len(sink.frames()) < 100
    # and each response reported its first frame once
    assert first_frames == ["r1", "r2"]


async def test_a_mark_with_no_audio_ahead_goes_out_at_once() -> None:
    sink = RecordingSink()
    lane = OutboundLane(sink, clock_ms=now_ms)
    lane.start()
    lane.enqueue_mark("r1@end")
    await sink.wait_until(lambda: sink.kinds() == ["mark"])
    await lane.aclose()
    assert sink.sent[0][2] == "r1@end"


async def test_the_lane_stops_quietly_when_the_carrier_is_gone() -> None:
    sink = RecordingSink()
    lane = OutboundLane(sink, clock_ms=now_ms)
    lane.start()
    sink.closed = True
    lane.enqueue_audio("r1", audio(100))
    await asyncio.sleep(0.05)
    assert lane.closed
    await lane.flush()  # no error after the carrier went away
    await lane.aclose()
