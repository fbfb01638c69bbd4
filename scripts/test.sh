#!/usr/bin/env bash
# Set up everything the tests need in .venv (created if missing) and run lint + the whole suite.
#   bash scripts/test.sh            # all tests
#   bash scripts/test.sh -k sqlite  # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# torch is pinned here (not in pyproject) to the CPU build this project tests against.
.venv/bin/python -m pip install --quiet "torch==2.13.0" -e ".[dev,torch,plot,dask,examples,lightning]"
.venv/bin/python -m ruff check .
exec .venv/bin/python -m pytest "$@"
