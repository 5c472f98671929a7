# The reward server: FastAPI + math-verify, no torch. Build context: the repository root.
#   docker build -f deploy/server.Dockerfile -t verifiable-rewards-server:latest .
# `debian:bookworm-slim` may be the locally imported tag (scripts/bootstrap_base_image.sh),
# so this builds with no registry; pip reaches PyPI.
# BASE_IMAGE can name the sandbox image instead, which yields a server that carries every
# toolchain for the `process` sandbox backend (deploy/k8s/deployment-process.yaml).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}

USER root
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 LC_ALL=C.UTF-8 \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv tini ca-certificates \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*

# Behind a TLS-intercepting proxy, pip needs the proxy's CA: pass its PEM text as the
# EXTRA_CA_CERTS build arg (compose: VR_BUILD_CA_CERTS). Empty: nothing is added.
ARG EXTRA_CA_CERTS=""
RUN if [ -n "$EXTRA_CA_CERTS" ]; then \
      printf '%s\n' "$EXTRA_CA_CERTS" > /usr/local/share/ca-certificates/build-extra.crt \
      && update-ca-certificates >/dev/null; fi

# Dependencies first (their own layer: code changes do not reinstall them).
RUN python3 -m venv /opt/venv
COPY pyproject.toml /src/pyproject.toml
# The bare dependencies (the client) plus the `server` extra.
RUN python3 -c "import tomllib; p = tomllib.load(open('/src/pyproject.toml', 'rb'))['project']; deps = p['dependencies'] + p['optional-dependencies']['server']; open('/tmp/requirements.txt', 'w').write('\n'.join(deps))" \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY README.md /src/README.md
COPY reward_server /src/reward_server
COPY sandbox /src/sandbox
COPY trainer_client /src/trainer_client
RUN pip install --no-deps /src && rm -rf /src \
 && reward-server --help >/dev/null

# Non-root. To reach a mounted Docker socket the process needs the socket's group: compose
# runs it as user 10001 with group DOCKER_GID (the socket's gid), Kubernetes pods use the
# dind sidecar's socket, whose group is 10001.
RUN groupadd --gid 10001 vr && useradd --uid 10001 --gid 10001 --no-create-home \
      --home-dir /tmp --shell /usr/sbin/nologin vr
USER 10001:10001
WORKDIR /tmp

# Every setting is an env var (README, "Settings"); these are the container's defaults.
ENV VR_HOST=0.0.0.0 VR_PORT=8000 VR_LOG_FORMAT=json HOME=/tmp
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('VR_PORT', '8000'), timeout=4)"]

# tini is pid 1: forwards SIGTERM to the server (graceful shutdown) and reaps orphans.
ENTRYPOINT ["tini", "--"]
CMD ["reward-server", "serve"]
