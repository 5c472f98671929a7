#!/usr/bin/env bash
# A Python 3.12 virtual environment holding nemo-gym's request/response models, for
# tests/compat/test_nemo_gym.py (nemo-gym needs Python >= 3.12; the project runs on 3.10+).
# Usage: scripts/nemo_gym_venv.sh [VENV_DIR]   (default build/nemo-gym-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${1:-build/nemo-gym-venv}
NEMO_GYM_VERSION=0.4.0

PY=${NEMO_GYM_BASE_PYTHON:-}
if [ -z "$PY" ]; then
  # pyenv shims exist for versions that are not selected: check that a candidate runs.
  for candidate in python3.12 python3.13 /root/.pyenv/versions/3.1[23]*/bin/python; do
    if "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1; then
      PY=$candidate
      break
    fi
  done
fi
if [ -z "$PY" ]; then
  echo "no Python >= 3.12 found: set NEMO_GYM_BASE_PYTHON" >&2
  exit 1
fi

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import nemo_gym.base_resources_server" 2>/dev/null; then
  exit 0  # already built
fi
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps "nemo-gym==$NEMO_GYM_VERSION"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r tests/compat/nemo_gym-requirements.txt
"$VENV/bin/python" -c "import nemo_gym.base_resources_server"
echo "nemo-gym $NEMO_GYM_VERSION ready in $VENV"
