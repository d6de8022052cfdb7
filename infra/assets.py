"""Lambda code and layer assets, built without Docker (no Docker engine exists on build machines).

- Each function's code asset is the repository root filtered down to ``switchboard/`` and
  ``functions/<name>/`` (docker-ignore semantics: exclude everything, re-include those two).
- The shared dependency layer is built by :class:`PipLayerBundling`, a local bundler that runs
  ``pip install`` for the Lambda platform (manylinux2014 x86_64, CPython 3.13, wheels only).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, IgnoreMode, ILocalBundling
from aws_cdk import aws_lambda as lambda_

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
LAYER_REQUIREMENTS = FUNCTIONS_DIR / "requirements.txt"

LAMBDA_PYTHON_VERSION = "3.13"
LAMBDA_PLATFORM = "manylinux2014_x86_64"

_NEVER_SHIP = ["**/__pycache__", "**/*.pyc", "**/.pytest_cache", "**/.mypy_cache"]


class LayerBundlingError(RuntimeError):
    """``pip install`` for the Lambda layer failed; the message carries pip's output tail."""


def pip_install_command(requirements: Path, target: Path) -> list[str]:
    """The exact command that fills the layer: Linux wheels for the Lambda runtime, never source builds."""
    return [
        sys.executable, "-m", "pip", "install",
        "--requirement", str(requirements),
        "--target", str(target),
        "--platform", LAMBDA_PLATFORM,
        "--implementation", "cp",
        "--python-version", LAMBDA_PYTHON_VERSION,
        "--only-binary=:all:",
        "--no-compile",
        "--disable-pip-version-check",
        "--quiet",
    ]  # fmt: skip


@jsii.implements(ILocalBundling)
class PipLayerBundling:
    """Builds the layer on the host (``OUTPUT/python/...``); raises instead of falling back to Docker."""

    def __init__(self, requirements: Path) -> None:
        self._requirements = requirements

    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:
        """Called by jsii as ``tryBundle(outputDir, options)``: the options arrive as one positional struct."""
        command = pip_install_command(self._requirements, Path(output_dir) / "python")
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
        if done.returncode != 0:
            tail = (done.stderr or done.stdout)[-2000:]
            raise LayerBundlingError(f"pip install for the Lambda layer failed ({done.returncode}): {tail}")
        return True


def function_code(name: str) -> lambda_.Code:
    """Code asset holding ``switchboard/`` and ``functions/<name>/`` only (plus ``functions/__init__``)."""
    return lambda_.Code.from_asset(
        str(REPO_ROOT),
        ignore_mode=IgnoreMode.DOCKER,
        exclude=[
            "*",
            "!switchboard",
            "!functions",
            "functions/*",
            "!functions/__init__.py",
            f"!functions/{name}",
            *_NEVER_SHIP,
        ],
    )


def dependency_layer_code(requirements: Path = LAYER_REQUIREMENTS) -> lambda_.Code:
    """Layer asset built from ``functions/requirements.txt``; its hash follows that file only."""
    return lambda_.Code.from_asset(
        str(requirements.parent),
        ignore_mode=IgnoreMode.DOCKER,
        exclude=["*", f"!{requirements.name}"],
        asset_hash_type=AssetHashType.SOURCE,
        bundling=BundlingOptions(
            # Only used if local bundling declined, which PipLayerBundling never does.
            image=DockerImage.from_registry(f"public.ecr.aws/sam/build-python{LAMBDA_PYTHON_VERSION}"),
            command=["bash", "-c", f"pip install -r {requirements.name} -t /asset-output/python"],
            # jsii calls try_bundle(output_dir, options) positionally, unlike the keyword-only stub.
            local=PipLayerBundling(requirements),  # type: ignore[arg-type]
        ),
    )
