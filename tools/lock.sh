#!/usr/bin/env bash
# Re-locks the dependencies: requirements.txt and requirements-dev.txt name what Grove uses
# (each pinned with ==); requirements.lock and requirements-dev.lock pin every package,
# transitive ones included, with the hashes `make` installs them by (--require-hashes).
# Run it after changing either .txt file; it asks PyPI, so it needs the network.
set -euo pipefail
cd "$(dirname "$0")/.."
tools_venv=$(mktemp -d)
trap 'rm -rf "$tools_venv"' EXIT
python3 -m venv "$tools_venv"
"$tools_venv/bin/pip" install --quiet pip-tools==7.5.2
for name in requirements requirements-dev; do
    PIP_FIND_LINKS= PIP_EXTRA_INDEX_URL= "$tools_venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe \
        --strip-extras --no-emit-index-url --no-emit-find-links --index-url https://pypi.org/simple \
        --output-file "$name.lock" "$name.txt"
done
echo "locked: requirements.lock, requirements-dev.lock"
