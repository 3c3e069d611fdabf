#!/usr/bin/env bash
# Makes a Node.js >= 22.18 (which runs TypeScript natively) available at .tools/node/bin when the machine's own is older or missing.
# The binary comes from the npm registry's node-linux-<arch> package, so nothing but npm is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
want="24.21.0"
tools=".tools/node"

version_ok() {
  local v major minor
  v=$("$1" -p 'process.versions.node' 2>/dev/null) || return 1
  major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
  (( major > 22 || (major == 22 && minor >= 18) ))
}

if [ -x "$tools/bin/node" ] && version_ok "$tools/bin/node"; then exit 0; fi
if command -v node >/dev/null && version_ok node; then exit 0; fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "ensure-node: no prebuilt Node for $(uname -m); install Node >= 22.18 yourself" >&2; exit 1 ;;
esac
command -v npm >/dev/null || { echo "ensure-node: npm is needed to fetch Node $want" >&2; exit 1; }

echo "ensure-node: machine Node is $(node -v 2>/dev/null || echo missing); fetching Node $want from the npm registry"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "node-linux-$arch@$want" >/dev/null)
rm -rf "$tools" && mkdir -p "$tools"
tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$tools" --strip-components=1
version_ok "$tools/bin/node" || { echo "ensure-node: fetched Node does not run" >&2; exit 1; }
echo "ensure-node: using $("$tools/bin/node" -v) from $tools/bin"
