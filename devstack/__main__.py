"""``python -m devstack up|dev|demo``: the whole platform locally (see :mod:`devstack.stack`).

- ``demo``: start the stack, place one scripted call, write the report, stop; exit 0 if the call
  went through every layer (webhook, stream, tool, post_call, CRM).
- ``up`` / ``dev``: start the stack and keep it up until Ctrl-C, printing the URLs, the demo API
  key and how to point a real Twilio number at it through a tunnel.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from devstack.processes import ProcessFailed
from devstack.providers import MODES, ProvidersUnavailable
from devstack.stack import LocalStack, StackOptions


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("up", "dev", "demo"))
    parser.add_argument("--providers", choices=MODES, default="auto",
                        help="auto: real vendors whose API key is set, offline models otherwise (default)")
    parser.add_argument("--script", choices=("demo", "short"), default="demo", help="the demo call's caller lines")
    parser.add_argument("--report-dir", type=Path, default=None, help="where call reports go (default: reports/)")
    parser.add_argument("--run-dir", type=Path, default=None, help="logs of this run (default: .devstack/)")
    parser.add_argument("--api-port", type=int, default=0, help="local gateway port (default: ephemeral)")
    parser.add_argument("--media-port", type=int, default=0, help="media worker port (default: ephemeral)")
    parser.add_argument("--public-api-url", help="https URL of a tunnel to the gateway (Twilio signs it)")
    parser.add_argument("--public-media-url", help="wss URL of a tunnel to the media worker")
    parser.add_argument("--number", help="the E.164 number to route to the demo assistant (your Twilio number)")
    return parser


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM shuts down like Ctrl-C: the stack's context exits cleanly


def _options(args: argparse.Namespace) -> StackOptions:
    from switchboard.caller.script import SCRIPTS

    options = StackOptions(mode=args.providers, caller_lines=[line.text for line in SCRIPTS[args.script]],
                           api_port=args.api_port, media_port=args.media_port,
                           public_api_url=args.public_api_url, public_media_url=args.public_media_url)  # fmt: skip
    if args.run_dir is not None:
        options.run_dir = args.run_dir
    if args.number:
        options.number = args.number
    return options


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = sys.stdout  # the stack sends sys.stdout (the Lambda handlers' logs) to its run directory

    def say(text: str) -> None:
        print(text, file=console, flush=True)

    signal.signal(signal.SIGTERM, _terminate)
    started = time.monotonic()
    try:
        stack = LocalStack(_options(args), console=console)
    except ProvidersUnavailable as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 2
    say(f"Switchboard local stack — providers: {stack.plan.describe()}")
    try:
        with stack:
            say(f"stack up in {time.monotonic() - started:.1f} s (logs: {stack.options.run_dir})")
            if args.command == "demo":
                from devstack.demo import REPORT_DIR, run_demo

                result = run_demo(stack, script=args.script, report_dir=args.report_dir or REPORT_DIR)
                code = 0 if result.ok else 1
            else:
                from devstack.dev_banner import print_banner

                print_banner(stack)
                threading.Event().wait()
                code = 0
        say(f"stopped cleanly ({time.monotonic() - started:.1f} s in all)")
        return code
    except ProcessFailed as exc:
        say(f"\ncould not start the stack: {exc}")
        return 1
    except KeyboardInterrupt:
        say("\nstopped (Ctrl-C); every process of the stack was shut down")
        return 130


if __name__ == "__main__":
    sys.exit(main())
