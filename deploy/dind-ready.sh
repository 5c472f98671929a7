#!/bin/sh
# Healthy: the inner engine answers and holds the current sandbox image.
[ -e /run/dind-sandbox-ready ] \
  && docker image inspect "${SANDBOX_IMAGE:-verifiable-rewards-sandbox:latest}" >/dev/null 2>&1
