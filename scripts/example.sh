#!/usr/bin/env bash
# Install tunelab with the example's extras in .venv (created if missing) and tune the digits example:
# a PyTorch MLP on scikit-learn's bundled digits data, its learning-rate schedule included.
# Prints live progress, the best trials and the best configuration as PyTorch and Keras code, and
# writes examples/digits/report.html. Run it again to continue the same study (Ctrl-C is safe).
#   bash scripts/example.sh
set -euo pipefail
source "$(dirname "$0")/_venv.sh"
install_tunelab "torch,plot,examples"
exec .venv/bin/tunelab run examples/digits/tunelab.toml "$@"
