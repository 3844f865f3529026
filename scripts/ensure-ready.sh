#!/usr/bin/env bash
# Shared by play.kube and run.kube: installs the pinned dependencies (including Node 24 itself,
# the npm "node" package) when node_modules is missing or older than package-lock.json, and
# compiles the TypeScript and bundles it (dist/bundle/, what play.kube and run.kube run) when
# dist/ is missing or older than any source file.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is not installed; install Node.js (any version >= 18) and npm, then retry" >&2
  exit 1
fi
if [ ! -x node_modules/.bin/node ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "platform-console: installing dependencies (npm ci, once)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ ! -f dist/bundle/bin.js ] || [ -n "$(find src scripts tsconfig.json package.json -newer "$stamp" -type f -print -quit 2>/dev/null)" ]; then
  echo "platform-console: compiling…" >&2
  PATH="$root/node_modules/.bin:$PATH" npx --no-install tsc -p tsconfig.json >&2
  "$root/node_modules/.bin/node" scripts/bundle.mjs >&2
  touch "$stamp"
fi
