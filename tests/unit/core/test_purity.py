"""The call loop and codecs stay pure: no I/O, clocks, threads or provider SDKs anywhere in media_worker/core."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[3] / "media_worker" / "core"
FORBIDDEN = frozenset(
    {
        "asyncio", "socket", "websockets", "threading", "time", "deepgram", "openai", "cartesia",
        "boto3", "botocore", "aiohttp", "httpx", "requests", "subprocess", "multiprocessing", "selectors",
    }
)  # fmt: skip
MODULES = sorted(CORE.rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "__import__":
            roots.add("__import__")
    return roots


def test_core_package_has_modules() -> None:
    # given the core package, then the walk below really covers it
    names = {p.relative_to(CORE).as_posix() for p in MODULES}
    assert {"machine.py", "events.py", "commands.py", "codecs/twilio.py", "codecs/telnyx.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(CORE).as_posix())
def test_module_imports_nothing_impure(path: Path) -> None:
    # when the module's imports are read, then none is I/O, a clock, threads or an SDK
    bad = imported_roots(path) & (FORBIDDEN | {"__import__"})
    assert not bad, f"{path.name} imports {sorted(bad)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(CORE).as_posix())
def test_module_is_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) < 400


def test_detector_catches_a_forbidden_import(tmp_path: Path) -> None:
    # given a module that imports time and asyncio, then the detector sees both
    sample = tmp_path / "bad.py"
    sample.write_text("import time\nfrom asyncio import sleep\nimport os.path\n")
    assert imported_roots(sample) & FORBIDDEN == {"time", "asyncio"}
