"""Pipecat as the agent under test, set up the way its Twilio example documents (pipecat-ai 1.14).

Runs in its own virtualenv (``bench/.venv-pipecat``, made by ``python -m bench setup``), never
imported by Switchboard. One process, one FastAPI/uvicorn server, every call on one event loop (the
example's ``server.py`` shape): ``/ws`` takes a Twilio Media Stream, ``/healthz`` answers the
bench's loop-lag probe.

Per call, as documented: ``parse_telephony_websocket`` -> ``TwilioFrameSerializer`` ->
``FastAPIWebsocketTransport``; pipeline input -> Deepgram STT -> user aggregator (Silero VAD, the
default smart-turn v3 stop strategy) -> OpenAI LLM -> Cartesia TTS -> output -> assistant
aggregator; 8 kHz in and out; on connect the LLM is asked to introduce itself.

What differs from the example, and why:
- every service points at the bench's wire-level fakes through its own base-URL parameter
  (``DeepgramSTTService(base_url=)``, ``OpenAILLMService(base_url=)``, ``CartesiaTTSService(url=)``);
- OpenAI instead of Google for the LLM (the fakes speak OpenAI's API; the services are peers);
- ``auto_hang_up=False`` on the serializer: the default hangs up through Twilio's REST API,
  which is not reachable here, and the caller hangs up first anyway;
- no ``AudioBufferProcessor`` (the example records the call to a WAV file; it would only add cost);
- log level INFO instead of loguru's default DEBUG (both agents then log at INFO).

Environment: ``BENCH_PORT``, ``DEEPGRAM_URL`` (ws), ``OPENAI_BASE_URL``, ``CARTESIA_WS_URL``.
"""

import os
import sys

import uvicorn
from fastapi import FastAPI, WebSocket
from fastapi.responses import PlainTextResponse
from loguru import logger
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.frames.frames import LLMRunFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.runner import PipelineRunner
from pipecat.pipeline.task import PipelineParams, PipelineTask
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair, LLMUserAggregatorParams
from pipecat.runner.utils import parse_telephony_websocket
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.services.cartesia.tts import CartesiaTTSService
from pipecat.services.deepgram.stt import DeepgramSTTService
from pipecat.services.openai.llm import OpenAILLMService
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport

SYSTEM_PROMPT = "You are the receptionist of a restaurant on a phone call. Answer in one or two short sentences."

logger.remove()
logger.add(sys.stderr, level=os.environ.get("BENCH_PIPECAT_LOG_LEVEL", "INFO"))
app = FastAPI()


@app.get("/healthz")
async def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok\n")


@app.websocket("/ws")
async def media_stream(websocket: WebSocket) -> None:
    await websocket.accept()
    _, call = await parse_telephony_websocket(websocket)
    serializer = TwilioFrameSerializer(
        stream_sid=call["stream_id"],
        call_sid=call["call_id"],
        params=TwilioFrameSerializer.InputParams(auto_hang_up=False),
    )
    transport = FastAPIWebsocketTransport(
        websocket=websocket,
        params=FastAPIWebsocketParams(
            audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False, serializer=serializer
        ),
    )
    await run_call(transport)


async def run_call(transport: FastAPIWebsocketTransport) -> None:
    stt = DeepgramSTTService(api_key="bench-deepgram-key", base_url=os.environ["DEEPGRAM_URL"])
    llm = OpenAILLMService(
        api_key="bench-openai-key",
        base_url=os.environ["OPENAI_BASE_URL"],
        settings=OpenAILLMService.Settings(model="gpt-4.1-mini", system_instruction=SYSTEM_PROMPT),
    )
    tts = CartesiaTTSService(
        api_key="bench-cartesia-key",
        url=os.environ["CARTESIA_WS_URL"] + "/tts/websocket",
        settings=CartesiaTTSService.Settings(voice="71a7ad14-091c-4e8e-a314-022ece01c121"),
    )
    context = LLMContext()
    user, assistant = LLMContextAggregatorPair(
        context, user_params=LLMUserAggregatorParams(vad_analyzer=SileroVADAnalyzer())
    )
    pipeline = Pipeline([transport.input(), stt, user, llm, tts, transport.output(), assistant])
    task = PipelineTask(
        pipeline,
        params=PipelineParams(
            audio_in_sample_rate=8000, audio_out_sample_rate=8000, enable_metrics=True, enable_usage_metrics=True
        ),
    )

    @transport.event_handler("on_client_connected")
    async def on_client_connected(transport, client):
        context.add_message({"role": "user", "content": "Please introduce yourself to the caller."})
        await task.queue_frames([LLMRunFrame()])

    @transport.event_handler("on_client_disconnected")
    async def on_client_disconnected(transport, client):
        await task.cancel()

    await PipelineRunner(handle_sigint=False, force_gc=True).run(task)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["BENCH_PORT"]), log_level="warning")
