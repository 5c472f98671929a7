#!/bin/sh
# Start dockerd on a unix socket only (no TCP listener), make sure it holds the sandbox
# image, then wait for it. SIGTERM stops dockerd, which stops every sandbox container.
set -eu

SOCKET="${DIND_SOCKET:-/run/dind/docker.sock}"
export DOCKER_HOST="unix://$SOCKET"
mkdir -p "$(dirname "$SOCKET")"
rm -f "$SOCKET" /run/dind-sandbox-ready

# cgroup v2: move ourselves out of the root cgroup so that dockerd may enable controllers
# for its children (the same step as the official docker:dind image).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers \
    > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || :
fi

# Kernels without nf_tables: fall back to the legacy iptables backend.
if ! iptables -t nat -nL >/dev/null 2>&1 && [ -x /usr/sbin/iptables-legacy ]; then
  update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
  update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null
fi

# shellcheck disable=SC2086  # DIND_DOCKERD_ARGS is a list of flags
dockerd --host="unix://$SOCKET" --group="${DIND_SOCKET_GID:-10001}" \
  --data-root=/var/lib/docker ${DIND_DOCKERD_ARGS:-} &
DOCKERD=$!
trap 'kill -TERM "$DOCKERD" 2>/dev/null; wait "$DOCKERD"; exit 0' TERM INT

i=0
until docker info >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 120 ] || ! kill -0 "$DOCKERD" 2>/dev/null; then
    echo "dind: dockerd did not start" >&2
    exit 1
  fi
  sleep 0.5
done
echo "dind: engine up on $SOCKET"

if [ "${DIND_SANDBOX_SOURCE:-build}" = "pull" ]; then
  docker pull "$SANDBOX_IMAGE"
else
  WANT="$(cat /opt/dind/sandbox.fingerprint)"
  HAVE="$(docker image inspect -f '{{ index .Config.Labels "verifiable-rewards.context" }}' \
    "$SANDBOX_IMAGE" 2>/dev/null || true)"
  if [ "$WANT" = "$HAVE" ]; then
    echo "dind: $SANDBOX_IMAGE is up to date"
  else
    if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
      tar -C /opt/dind/base-rootfs -c . | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
    fi
    echo "dind: building $SANDBOX_IMAGE (first start, or the sandbox changed)"
    # --network host: the build shares this container's network (and its DNS resolver).
    docker build --pull=false --network host -q --label "verifiable-rewards.context=$WANT" \
      -f /opt/dind/sandbox/images/Dockerfile -t "$SANDBOX_IMAGE" /opt/dind/sandbox >/dev/null
    docker image prune -f >/dev/null
    echo "dind: built $SANDBOX_IMAGE"
  fi
fi
touch /run/dind-sandbox-ready

wait "$DOCKERD"
