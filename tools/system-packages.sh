#!/usr/bin/env bash
# Installs the Debian packages the test suite calls, when they are missing: Chromium for the
# browser tests, a CJK font so Chinese pages render (and print) with real glyphs, systemd for
# `systemd-analyze verify` of the deployment guide's units (tests/deploy/test_guide.py), and nginx
# for the two-host test when TEST_DATABASE_URL is set.
# As root it runs apt-get itself, with sudo when that works without a password; otherwise it
# stops at once and prints the one command to run.
set -euo pipefail

# The packages come from the Makefile (SYSTEM_PACKAGES); run by hand, the same default: with
# TEST_DATABASE_URL set, also nginx for the two-host test (tests/deploy/).
if (($#)); then
    PACKAGES=("$@")
else
    PACKAGES=(chromium fonts-wqy-zenhei systemd)
    if [[ -n "${TEST_DATABASE_URL:-}" ]]; then PACKAGES+=(nginx); fi
fi
# The PostgreSQL run backs up and restores with pg_dump and pg_restore, which must match the server.
# (the server's machine has them already; a client-only machine gets Debian's postgresql-client).
NEED_PG_CLIENT=0
if [[ -n "${TEST_DATABASE_URL:-}" ]] && ! command -v pg_dump >/dev/null; then
    NEED_PG_CLIENT=1
fi

if ! command -v dpkg-query >/dev/null; then
    [[ -n "${CHROMIUM_PATH:-}" && -x "${CHROMIUM_PATH}" ]] && exit 0  # the user's own Chromium and fonts
    echo "The tests need Chromium and a CJK font. This is not a Debian system: install both yourself" >&2
    echo "and set CHROMIUM_PATH to the Chromium binary." >&2
    exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
((NEED_PG_CLIENT)) && missing+=(postgresql-client)
((${#missing[@]})) || exit 0

if [[ $(id -u) -eq 0 ]]; then
    sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo)
else
    echo "The tests need Debian packages that are not installed. Run:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
echo "== installing ${missing[*]}"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
