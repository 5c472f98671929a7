#!/usr/bin/env bash
# Build the sandbox image (toolchains + runner) from sandbox/images/Dockerfile, offline-safe:
# FROM debian:bookworm-slim resolves to the local tag made by bootstrap_base_image.sh, and
# apt reaches Debian mirrors through the default bridge during the build.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TAG="${SANDBOX_IMAGE:-verifiable-rewards-sandbox:latest}"

if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  "$ROOT/scripts/bootstrap_base_image.sh"
fi

# --pull=false: never try a registry; the base tag is local.
docker build --pull=false -f "$ROOT/sandbox/images/Dockerfile" -t "$TAG" "$ROOT/sandbox"
echo "built $TAG"
