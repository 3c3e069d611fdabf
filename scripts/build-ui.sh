#!/usr/bin/env bash
# Builds the dashboard (ui/, Preact through Vite) into ui/dist, which the Worker serves as static assets.
set -euo pipefail
cd "$(dirname "$0")/.."
node_modules/.bin/vite build --config ui/vite.config.ts --logLevel warn
# /docs loads Swagger UI from here, not from a CDN, so the API docs work offline.
mkdir -p ui/dist/docs/assets/swagger-ui-dist
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css ui/dist/docs/assets/swagger-ui-dist/
