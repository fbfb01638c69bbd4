# Sourced by the scripts here: create .venv if missing and install tunelab with the given extras.
#   install_tunelab "dev,torch"
# torch is pinned here (not in pyproject) to the CPU build this project tests against.
install_tunelab() {
    cd "$(dirname "${BASH_SOURCE[0]}")/.."
    if [ ! -x .venv/bin/python ]; then
        "${PYTHON:-python3}" -m venv .venv
    fi
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet "torch==2.13.0" -e ".[$1]"
}
