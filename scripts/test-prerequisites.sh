#!/usr/bin/env bash
# Run by `npm test` before the tests: the machine programs they use, installed when they are missing and this
# machine can (root with apt-get), else a stop at once with the command to run. No test skips a missing tool.
#   redis-server  (Debian redis-server)  fault and cluster tests start Redis servers of their own
#   promtool      (Debian prometheus)    checks the /metrics exposition
#   chromium      (Debian chromium)      the dashboard's browser test
#   luacheck      (Debian lua-check)     checks the Lua scripts Redis runs (src/lua)
set -euo pipefail

declare -A packages=([redis-server]=redis-server [promtool]=prometheus [chromium]=chromium [luacheck]=lua-check)
missing=()
for tool in redis-server promtool chromium luacheck; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${packages[$tool]}")
done
((${#missing[@]} == 0)) && exit 0

install="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "npm test needs the Debian packages ${missing[*]}, and this user cannot install them." >&2
  echo "Install them, then run npm test again:" >&2
  echo "  sudo apt-get update && sudo $install" >&2
  exit 1
fi
echo "npm test: installing the Debian packages ${missing[*]} (tools the tests use)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
for tool in redis-server promtool chromium luacheck; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "npm test: $tool is still missing after installing ${missing[*]}" >&2
    exit 1
  }
done
