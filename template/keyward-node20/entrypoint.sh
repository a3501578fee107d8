#!/bin/sh
# One image for both platforms. Knative sets K_SERVICE (and PORT): the function serves HTTP itself
# and Knative's queue-proxy does what the watchdog would. Anywhere else (OpenFaaS) of-watchdog runs
# in front in http mode and starts run-function.sh (fprocess). KEYWARD_WATCHDOG=off forces the first.
# The function listens on HOST, loopback by default: right behind the watchdog (it proxies to
# 127.0.0.1). Alone, traffic comes to the container's address (Knative's liveness probe comes from
# the kubelet, not through the queue-proxy), so there it listens on every interface unless HOST
# says otherwise.
set -eu
if [ -n "${K_SERVICE:-}" ] || [ "${KEYWARD_WATCHDOG:-on}" = "off" ]; then
  HOST="${HOST:-0.0.0.0}"
  export HOST
  exec node index.js
fi
exec fwatchdog
