"""Cold init and warm latency of the five Lambda handlers, locally against moto server.

``bench/call_setup.py``'s approach, for every handler: moto server on loopback with the platform's
resources and one tenant (``bench.call_setup._environment``), then each handler in a fresh Python
process (cold imports), timing

- ``init``: importing the handler module (Lambda's init phase: imports plus module-level set-up);
- ``first``: the first invocation (clients built, secrets fetched, caches filled);
- ``warm``: p50 / p95 over N more invocations.

The invocations, each through the real ``lambda_handler`` with a payload-2.0 / SQS event:
call_setup: a signed Twilio voice webhook for a new call (TwiML with the stream); authorizer: a
tenant API key (DynamoDB lookup, allow); admin_api: ``GET /v1/assistants``; tool_call:
``POST /tools/invoke`` whose arguments the schema rejects (tool lookup, validation,
``tool.invoked`` to EventBridge; no webhook leaves); post_call: one ``call.ended`` for a stored
call (the SQS batch path; the figure includes whatever steps the call's configuration enables,
reported as the batch's failures count). moto answers far slower than DynamoDB in-region, so these
are upper bounds.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LOGS = REPO / "bench" / ".cache" / "logs"
EVENTS = REPO / "tests" / "events"
HANDLERS = ("call_setup", "authorizer", "admin_api", "tool_call", "post_call")
DATA_ENV = "BENCH_LAMBDA_DATA"


class Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


def _http_event(method: str, path: str, body: str = "", **context: Any) -> dict[str, Any]:
    event = json.loads((EVENTS / "admin_http_api_request.json").read_text())
    event["rawPath"] = path
    event["rawQueryString"] = ""
    event["routeKey"] = f"{method} {path}"
    event["requestContext"]["http"].update({"method": method, "path": path})
    event["requestContext"]["authorizer"] = context or event["requestContext"].get("authorizer")
    event["body"] = body
    event["isBase64Encoded"] = False
    event["headers"]["content-type"] = "application/json"
    return event


def _events(name: str, data: dict[str, Any]) -> Callable[[int], dict[str, Any]]:
    """The n-th event to send to handler ``name``."""
    if name == "call_setup":
        from urllib.parse import parse_qsl, urlencode

        from twilio.request_validator import RequestValidator

        from bench.call_setup import PUBLIC_URL, TOKEN

        template = json.loads((EVENTS / "call_setup_twilio_voice.json").read_text())
        params = dict(parse_qsl(base64.b64decode(template["body"]).decode(), keep_blank_values=True))
        validator = RequestValidator(TOKEN)

        def voice(n: int) -> dict[str, Any]:
            event = copy.deepcopy(template)
            body = {**params, "CallSid": f"CAbench{n}{uuid.uuid4().hex[:8]}"}
            event["body"] = base64.b64encode(urlencode(body).encode()).decode()
            event["headers"]["x-twilio-signature"] = validator.compute_signature(f"{PUBLIC_URL}/twilio/voice", body)
            return event

        return voice
    if name == "authorizer":
        template = json.loads((EVENTS / "authorizer_request.json").read_text())
        template["headers"]["authorization"] = f"Bearer {data['api_key']}"
        template["identitySource"] = [f"Bearer {data['api_key']}"]
        return lambda n: copy.deepcopy(template)
    if name == "admin_api":
        context = {"lambda": {"tenant_id": data["tenant_id"], "key_id": data["key_id"]}}
        return lambda n: _http_event("GET", "/v1/assistants", **context)
    if name == "tool_call":
        body = {"call_id": data["call_id"], "tenant_id": data["tenant_id"], "caller_number": "+14155550100",
                "tool_name": "check_availability", "arguments": {"party": 0}}  # fmt: skip
        return lambda n: _http_event("POST", "/tools/invoke", json.dumps({**body, "tool_call_id": f"tc_{n}"}),
                                     iam={"accountId": "123456789012"})  # fmt: skip
    if name == "post_call":
        from switchboard.errors import InvalidEvent
        from switchboard.events import parse_event

        def valid(record: dict[str, Any]) -> bool:
            try:
                parse_event(json.loads(record["body"])["detail"])
            except InvalidEvent:
                return False
            return True

        template = json.loads((EVENTS / "post_call_sqs_mixed_batch.json").read_text())
        record = next(r for r in template["Records"] if valid(r))  # the batch's valid call.ended

        def batch(n: int) -> dict[str, Any]:
            envelope = json.loads(record["body"])
            detail = envelope["detail"]
            detail.update({"tenant_id": data["tenant_id"], "call_id": data["post_calls"][n],
                           "assistant_id": data["assistant_id"], "event_id": str(uuid.uuid4())})  # fmt: skip
            return {"Records": [{**record, "messageId": str(uuid.uuid4()), "body": json.dumps(envelope)}]}

        return batch
    raise ValueError(name)


def _child(name: str, calls: int) -> None:
    data = json.loads(os.environ[DATA_ENV])
    events = _events(name, data)
    started = time.perf_counter()
    module = __import__(f"functions.{name}.handler", fromlist=["lambda_handler"])
    init_s = time.perf_counter() - started

    def invoke(n: int) -> tuple[float, Any]:
        event = events(n)
        begin = time.perf_counter()
        response = module.lambda_handler(event, Context())
        return time.perf_counter() - begin, response

    first_s, first_response = invoke(0)
    warm = [invoke(n + 1) for n in range(calls)]
    outcome = _outcome(name, first_response)
    print(json.dumps({"init_s": init_s, "first_s": first_s, "warm_s": [w for w, _ in warm], "outcome": outcome}))


def _outcome(name: str, response: Any) -> str:
    if name == "authorizer":
        return f"isAuthorized={response.get('isAuthorized')}"
    if name == "post_call":
        return f"batchItemFailures={len(response.get('batchItemFailures', []))}"
    body = str(response.get("body", ""))
    if name == "tool_call":
        return f"HTTP {response.get('statusCode')} outcome={json.loads(body or '{}').get('outcome')}"
    return f"HTTP {response.get('statusCode')}" + (" (TwiML <Stream>)" if "<Stream" in body else "")


def _seed(calls: int) -> dict[str, Any]:
    """Tenant, number, assistant with a webhook tool, API key and stored calls (after _environment)."""
    from switchboard.models import Assistant, CallRecord, ToolDefinition
    from switchboard.resources import ENV_TABLE
    from switchboard.store import issue_api_key, replace_assistant, table_resource
    from switchboard.store.calls import create_call

    table = table_resource(os.environ[ENV_TABLE])
    tool = ToolDefinition.from_wire({
        "name": "check_availability", "description": "Check table availability", "webhook_url": "https://tools.example.com/a",
        "parameters": {"type": "object", "properties": {"party": {"type": "integer", "minimum": 1}},
                       "required": ["party"]},
    })  # fmt: skip
    replace_assistant(table, "ten_bench", Assistant(assistant_id="asst_1", tenant_id="ten_bench", name="A",
                                                    system_prompt="p", tools=(tool,)))  # fmt: skip
    key = issue_api_key(table, "ten_bench", name="bench")
    stored = []
    for _ in range(calls + 2):
        record = CallRecord(
            call_id="ca_" + uuid.uuid4().hex[:16], tenant_id="ten_bench", assistant_id="asst_1", carrier="twilio",
            carrier_call_id="CA" + uuid.uuid4().hex, from_number="+14155550123", to_number="+14155550100",
            started_at=datetime.now(UTC),
        )  # fmt: skip
        create_call(table, record)
        stored.append(record.call_id)
    return {"tenant_id": "ten_bench", "assistant_id": "asst_1", "api_key": key.secret, "key_id": key.api_key.key_id,
            "call_id": stored[-1], "post_calls": stored}  # fmt: skip


def run_lambdas(calls: int = 30) -> dict[str, Any]:
    from bench.call_setup import _environment
    from bench.stack import Moto

    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}.items():  # fmt: skip
        os.environ.setdefault(name, value)
    moto = Moto.start(provision=False)  # its own process, as in the sweep
    results: dict[str, Any] = {}
    try:
        env = {**os.environ, **_environment(moto.url), "SWITCHBOARD_STAGE": "bench"}
        os.environ.update(env)
        env[DATA_ENV] = json.dumps(_seed(calls))
        for name in HANDLERS:
            print(f"==> lambda {name}", flush=True)
            done = subprocess.run(
                [sys.executable, "-m", "bench.lambdas", name, str(calls)],
                env=env, capture_output=True, text=True, check=False, cwd=REPO, timeout=600,
            )  # fmt: skip
            if done.returncode != 0:
                results[name] = {"error": done.stderr[-1500:]}
                continue
            (LOGS / f"lambda-{name}.log").write_text(done.stdout + done.stderr)
            raw = json.loads(done.stdout.strip().splitlines()[-1])
            warm = sorted(1000 * s for s in raw["warm_s"])
            results[name] = {
                "init_ms": round(1000 * raw["init_s"], 1),
                "first_ms": round(1000 * raw["first_s"], 1),
                "warm_p50_ms": round(statistics.median(warm), 1),
                "warm_p95_ms": round(warm[min(len(warm) - 1, int(0.95 * len(warm)))], 1),
                "warm_n": len(warm),
                "outcome": raw["outcome"],
            }
    finally:
        moto.stop()
    return results


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]))
