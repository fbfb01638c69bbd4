#!/usr/bin/env bash
# Install tunelab with the example's extras in .venv (created if missing) and tune the digits example:
# a PyTorch MLP on scikit-learn's bundled digits data, its learning-rate schedule included.
# Prints live progress, the best trials and the best configuration as PyTorch and Keras code, and
# writes examples/digits/report.html. Run it again to continue the same study (Ctrl-C is safe).
#   bash scripts/example.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# torch is pinned here (not in pyproject) to the CPU build this project tests against.
.venv/bin/python -m pip install --quiet "torch==2.13.0" -e ".[torch,plot,examples]"
exec .venv/bin/tunelab run examples/digits/tunelab.toml "$@"
