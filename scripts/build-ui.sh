#!/usr/bin/env bash
# Builds the dashboard into ui/dist, which the Worker serves as static assets.
# Until the Preact dashboard lands this is a copy of the static landing page.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf ui/dist
mkdir -p ui/dist
cp ui/index.html ui/dist/index.html
# /docs loads Swagger UI from here, not from a CDN, so the API docs work offline.
mkdir -p ui/dist/docs/assets/swagger-ui-dist
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css ui/dist/docs/assets/swagger-ui-dist/
