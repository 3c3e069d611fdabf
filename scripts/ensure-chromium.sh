#!/usr/bin/env bash
# The browser tests drive Debian's chromium (never a browser a tool downloads). Installs it when missing.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo 'Installing chromium from Debian for the browser tests…'
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo 'The browser tests need chromium: install it (apt-get install -y chromium) and run make test again.' >&2
  exit 1
fi
