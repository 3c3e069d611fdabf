#!/usr/bin/env bash
# What the tests need from Debian, installed when missing: chromium for the browser tests (never a
# browser a tool downloads) and zsh for the command line's zsh completion.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} from Debian for the tests…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "The tests need ${missing[*]}: install them (apt-get install -y ${missing[*]}) and run make test again." >&2
  exit 1
fi
