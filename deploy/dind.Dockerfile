# A Docker engine in a container (compose profile `dind`, Kubernetes sidecar) for hosts
# where the reward server must not get the host's Docker socket. Build context: the
# repository root. Needs `privileged: true` at run time (a Docker engine must create
# cgroups, namespaces and mounts); only this container gets it, not the server.
#
# At start it makes sure the inner engine holds the sandbox image:
#   DIND_SANDBOX_SOURCE=build  import the debian:bookworm-slim root file system kept in this
#                              image and build sandbox/images/Dockerfile with it (no
#                              registry; apt reaches Debian's mirrors; minutes, once per
#                              /var/lib/docker volume)
#   DIND_SANDBOX_SOURCE=pull   `docker pull $SANDBOX_IMAGE` from your registry (Kubernetes)
FROM debian:bookworm-slim AS base

FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update \
 && apt-get install -y --no-install-recommends docker.io iptables ca-certificates tini procps \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*

# The same base file system the host built (offline bootstrap), to re-import inside.
COPY --from=base / /opt/dind/base-rootfs/
COPY sandbox/.dockerignore /opt/dind/sandbox/.dockerignore
COPY sandbox/images /opt/dind/sandbox/images
COPY sandbox/runner /opt/dind/sandbox/runner
# Fingerprint of the build context: a dind volume holding an older sandbox image rebuilds it.
RUN cd /opt/dind/sandbox && find . -type f ! -name '*.pyc' | LC_ALL=C sort | xargs sha256sum \
    | sha256sum | cut -c1-16 > /opt/dind/sandbox.fingerprint
COPY deploy/dind-entrypoint.sh /usr/local/bin/dind-entrypoint
COPY deploy/dind-ready.sh /usr/local/bin/dind-ready
RUN chmod 0755 /usr/local/bin/dind-entrypoint /usr/local/bin/dind-ready

ENV SANDBOX_IMAGE=verifiable-rewards-sandbox:latest \
    DIND_SANDBOX_SOURCE=build \
    DIND_SOCKET=/run/dind/docker.sock \
    DIND_SOCKET_GID=10001 \
    DOCKER_HOST=unix:///run/dind/docker.sock
VOLUME /var/lib/docker
HEALTHCHECK --interval=5s --timeout=10s --start-period=1200s --retries=3 CMD ["dind-ready"]
ENTRYPOINT ["tini", "--", "dind-entrypoint"]
