#!/usr/bin/env bash
# Installs what the tests need outside Python: Debian's headless Chromium for the browser tests.
# Idempotent; does nothing when chromium is already there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests (about 350 MB, once)..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; browser tests will be skipped" >&2
else
  echo "note: chromium not found and cannot install it (not root): browser tests will be skipped; sudo apt-get install chromium runs them" >&2
fi
