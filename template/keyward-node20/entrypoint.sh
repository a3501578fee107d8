#!/bin/sh
# One image for both platforms. Knative sets K_SERVICE (and PORT): the function serves HTTP itself
# and Knative's queue-proxy does what the watchdog would. Anywhere else (OpenFaaS) of-watchdog runs
# in front in http mode and starts run-function.sh (fprocess). KEYWARD_WATCHDOG=off forces the first.
set -eu
if [ -n "${K_SERVICE:-}" ] || [ "${KEYWARD_WATCHDOG:-on}" = "off" ]; then
  exec node index.js
fi
exec fwatchdog
