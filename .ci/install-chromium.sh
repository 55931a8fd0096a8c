#!/bin/sh
# Installs headless Chromium for the browser tests (internal/server
# TestBrowser*, which skip when no chromium binary is found). Debian/Ubuntu.
set -eu
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
	exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium
chromium --version 2>/dev/null || true
