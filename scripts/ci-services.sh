#!/usr/bin/env bash
# Installs the Debian packages the server's tests start themselves (redis-server for the replica test,
# chromium for the doctor page's screenshot) when this machine lacks them. The tests start each one on a
# free port and stop it by process id; nothing is left running.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "${#need[@]}" -gt 0 ]; then
  echo "ci: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
