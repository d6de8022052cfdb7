"""Call setup latency: cold init and warm invocations of the call_setup Lambda handler.

Starts a moto server on loopback, provisions the platform's resources and one tenant with a
Twilio number, then runs the handler in a fresh Python subprocess (so imports are cold) and
reports:

- ``import``: importing ``functions.call_setup.handler`` (Lambda's init phase);
- ``first``: the first Twilio voice webhook (creates clients, fetches secrets);
- ``warm``: p50 / p95 / max over N further voice webhooks, each a new call.

Usage: ``.venv/bin/python bench/call_setup.py [--calls 50]``. Numbers include moto's own
latency on loopback, which is far slower per request than DynamoDB in-region, so treat them
as an upper bound on our own overhead and compare runs, not absolute values.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PUBLIC_URL = "https://api.switchboard.test"
TOKEN = "bench-twilio-auth-token"
NUMBER = "+14155550100"


def _child(calls: int) -> None:
    from twilio.request_validator import RequestValidator

    started = time.perf_counter()
    from functions.call_setup.handler import lambda_handler

    import_s = time.perf_counter() - started

    template = json.loads((REPO / "tests/events/call_setup_twilio_voice.json").read_text())
    params = dict(parse_qsl(base64.b64decode(template["body"]).decode(), keep_blank_values=True))
    validator = RequestValidator(TOKEN)

    class Context:
        function_name = "call_setup"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:call_setup"
        aws_request_id = "bench"

    def invoke(sid: str) -> float:
        event = copy.deepcopy(template)
        body_params = {**params, "CallSid": sid}
        event["body"] = base64.b64encode(urlencode(body_params).encode()).decode()
        event["headers"]["x-twilio-signature"] = validator.compute_signature(f"{PUBLIC_URL}/twilio/voice", body_params)
        begin = time.perf_counter()
        response = lambda_handler(event, Context())
        elapsed = time.perf_counter() - begin
        if "<Stream" not in response["body"]:
            raise RuntimeError(f"unexpected response: {response}")
        return elapsed

    first_s = invoke("CAbench-first")
    warm = [invoke(f"CAbench-{i}") for i in range(calls)]
    print(json.dumps({"import_s": import_s, "first_s": first_s, "warm_s": warm}))


def _environment(moto_url: str) -> dict[str, str]:
    import boto3

    from switchboard.local_aws import provision
    from switchboard.models import Assistant, PhoneNumber, Tenant
    from switchboard.resources import ENV_CARRIER_SECRET, ENV_MEDIA_WSS_URL, ENV_PUBLIC_API_URL
    from switchboard.store import attach_number, create_assistant, create_tenant, table_resource

    resources = provision(moto_url, prefix="sb-bench")
    os.environ.update(resources.environment())
    carrier = boto3.client("secretsmanager").create_secret(
        Name="sb-bench/carrier", SecretString=json.dumps({"twilio_auth_token": TOKEN})
    )["ARN"]
    table = table_resource(resources.table)
    create_tenant(table, Tenant(tenant_id="ten_bench", name="Bench", max_concurrent_calls=10_000))
    create_assistant(
        table, "ten_bench", Assistant(assistant_id="asst_1", tenant_id="ten_bench", name="A", system_prompt="p")
    )
    attach_number(
        table, "ten_bench", PhoneNumber(number=NUMBER, tenant_id="ten_bench", carrier="twilio", assistant_id="asst_1")
    )
    return {
        **resources.environment(),
        ENV_CARRIER_SECRET: carrier,
        ENV_PUBLIC_API_URL: PUBLIC_URL,
        ENV_MEDIA_WSS_URL: "wss://media.switchboard.test",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_METRICS_NAMESPACE": "Switchboard",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.calls)
        return

    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        os.environ.setdefault(name, value)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {**os.environ, **_environment(f"http://{host}:{port}")}
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--calls", str(args.calls)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=REPO,
            timeout=600,
        )
    finally:
        server.stop()
    if done.returncode != 0:
        sys.exit(f"benchmark child failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    warm_ms = sorted(1000 * s for s in result["warm_s"])
    p95 = warm_ms[min(len(warm_ms) - 1, int(0.95 * len(warm_ms)))]
    print(f"call_setup cold import    {1000 * result['import_s']:8.1f} ms")
    print(f"call_setup first request  {1000 * result['first_s']:8.1f} ms")
    print(
        f"call_setup warm (n={len(warm_ms)})    p50 {statistics.median(warm_ms):6.1f} ms"
        f"   p95 {p95:6.1f} ms   max {warm_ms[-1]:6.1f} ms"
    )


if __name__ == "__main__":
    main()
