#!/bin/sh
# of-watchdog's fprocess: runs the function. On SIGTERM the watchdog keeps accepting requests for
# healthcheck_interval while the pod leaves the Service's endpoints, yet passes SIGTERM to this
# process at once. Hold it back that long, so the function drains only when no new request can
# reach it; then wait while it finishes those in flight (up to SHUTDOWN_GRACE_MS) and exit with
# its status. of-watchdog treats a non-zero exit of its fprocess as fatal.
set -u
node index.js &
child=$!

delay="${healthcheck_interval:-5s}"
delay="${delay%s}"
case "$delay" in
  "" | *[!0-9]*) delay=5 ;;
esac

forward() {
  trap '' TERM INT
  sleep "$delay"
  kill -TERM "$child" 2>/dev/null || true
}
trap forward TERM INT

wait "$child"
status=$?
# A trapped signal ends `wait` early: wait again until the function has really exited.
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
  status=$?
done
exit "$status"
