#!/usr/bin/env bash
# Set up everything the tests need in .venv (created if missing) and run lint + the whole suite.
#   bash scripts/test.sh            # all tests
#   bash scripts/test.sh -k sqlite  # extra arguments go to pytest
set -euo pipefail
source "$(dirname "$0")/_venv.sh"
install_tunelab "dev,torch,plot,dask,ray,examples,lightning,keras,sklearn,hydra,transformers,mlflow,wandb,rich,notebook"
.venv/bin/python -m ruff check .
exec .venv/bin/python -m pytest "$@"
