#!/usr/bin/env bash
# Builds the dashboard into ui/dist, which the Worker serves as static assets.
# Until the Preact dashboard lands this is a copy of the static landing page.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf ui/dist
mkdir -p ui/dist
cp ui/index.html ui/dist/index.html
