"""``python -m bench``: the voice-agent benchmarks (not part of CI). See BENCHMARKS.md.

python -m bench setup                 # Pipecat's own virtualenv + the callers' speech recordings
python -m bench sweep [--agents switchboard,pipecat] [--calls 1,10,50,100,200] [--seconds 60]
python -m bench lambdas [--calls 30]  # cold init and warm p50 of the five Lambda handlers (moto)
python -m bench report                # tables + plot from bench/results/*.json
python -m bench all                   # setup, sweep, lambdas, report (what `make bench` runs)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from bench.stack import AWS_ENV, PIPECAT_PYTHON, REPO

RESULTS = REPO / "bench" / "results"
PIPECAT_REQUIREMENT = "pipecat-ai[deepgram,openai,cartesia,websocket,silero,runner]==1.14.0"


def setup() -> None:
    if not PIPECAT_PYTHON.exists():
        print("==> Pipecat virtualenv (bench/.venv-pipecat)", flush=True)
        base_python = Path(sys.base_prefix) / "bin" / "python3"
        subprocess.run([str(base_python), "-m", "venv", str(PIPECAT_PYTHON.parent.parent)], check=True)
    done = subprocess.run([str(PIPECAT_PYTHON), "-c", "import pipecat, uvicorn"], capture_output=True, check=False)
    if done.returncode != 0:
        subprocess.run([str(PIPECAT_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        PIPECAT_REQUIREMENT], check=True)  # fmt: skip
    from bench.corpus import check_phrase, load_corpus

    clips = load_corpus()
    bad = [c.key for c in clips.values() if check_phrase(c) != 1]
    if bad:
        raise SystemExit(f"these recordings do not finalize exactly once at 300 ms endpointing: {bad}")
    print(f"==> {len(clips)} caller recordings ({next(iter(clips.values())).engine}) ready", flush=True)


async def sweep(
    agents: list[str], levels: list[int], seconds: float, stop_when_broken: bool, *, profile: bool = False
) -> None:
    from bench.report import machine
    from bench.run import run_one
    from bench.stack import Moto
    from bench.targets import broken, saturation

    RESULTS.mkdir(parents=True, exist_ok=True)
    info = machine()
    machine_file = "machine.json" if "switchboard" in agents else f"machine-{'-'.join(agents)}.json"
    (RESULTS / machine_file).write_text(json.dumps(info, indent=1))
    moto = await asyncio.to_thread(Moto.start)
    try:
        for agent in agents:
            for index, calls in enumerate(levels):
                duration = max(seconds, 75.0) if calls == 1 else seconds
                result = await run_one(agent, calls, duration, moto, profile=profile)  # type: ignore[arg-type]
                variant = result["summary"].get("variant")
                name = f"variant-{variant}-{calls}" if variant else f"run-{agent}-{calls}"
                (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=1))
                print(json.dumps(result["summary"]), flush=True)
                reasons = broken(result["summary"])
                if reasons:
                    print(f"==> {agent} misses the targets at {calls} calls: {'; '.join(reasons)}", flush=True)
                following = levels[index + 1] if index + 1 < len(levels) else None
                saturated = saturation(result["summary"], next_calls=following)
                if (reasons and stop_when_broken) or saturated:
                    if saturated:
                        print(f"==> {agent} saturated at {calls} calls: {saturated}; no higher level", flush=True)
                    break
    finally:
        moto.stop()
        info["end_uptime"] = machine()["uptime"]
        (RESULTS / machine_file).write_text(json.dumps(info, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["setup", "sweep", "lambdas", "report", "all"])
    parser.add_argument("--agents", default="switchboard,pipecat")
    parser.add_argument("--calls", default="1,10,50,100,200")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--lambda-calls", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="py-spy the agent over each steady window")
    parser.add_argument("--stop-at-miss", action="store_true", help="stop an agent at its first level missing a target")
    args = parser.parse_args()
    for name, value in AWS_ENV.items():
        os.environ.setdefault(name, value)
    levels = [int(x) for x in args.calls.split(",") if x]
    agents = [a for a in args.agents.split(",") if a]
    if args.command in ("setup", "all"):
        setup()
    if args.command in ("sweep", "all"):
        asyncio.run(sweep(agents, levels, args.seconds, args.stop_at_miss, profile=args.profile))
    if args.command in ("lambdas", "all"):
        from bench.lambdas import run_lambdas

        RESULTS.mkdir(parents=True, exist_ok=True)
        result = run_lambdas(args.lambda_calls)
        (RESULTS / "lambdas.json").write_text(json.dumps(result, indent=1))
        print(json.dumps(result, indent=1))
    if args.command in ("report", "all"):
        from bench.report import write_report

        write_report(RESULTS)


if __name__ == "__main__":
    main()
