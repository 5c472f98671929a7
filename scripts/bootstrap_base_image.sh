#!/usr/bin/env bash
# Build the `debian:bookworm-slim` tag locally, with no registry: debootstrap a minbase
# root file system and `docker import` it. Dockerfiles can then say FROM debian:bookworm-slim
# unchanged. Idempotent: does nothing if the tag already exists (FORCE=1 rebuilds).
set -euo pipefail

TAG="${BASE_IMAGE:-debian:bookworm-slim}"
SUITE="${SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [[ "${FORCE:-0}" != "1" ]] && docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "base image $TAG already present; skipping (FORCE=1 to rebuild)"
  exit 0
fi

command -v debootstrap >/dev/null || { echo "debootstrap is not installed" >&2; exit 1; }

ROOTFS="$(mktemp -d /tmp/rootfs-"$SUITE".XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT

echo "debootstrap $SUITE into $ROOTFS from $MIRROR"
debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >/tmp/debootstrap-"$SUITE".log 2>&1 \
  || { tail -n 30 /tmp/debootstrap-"$SUITE".log >&2; exit 1; }

# Slim it the way the official -slim images are: no apt lists, docs or caches.
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin \
  "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/*

tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' - "$TAG"
echo "built $TAG"
