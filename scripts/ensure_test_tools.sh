#!/bin/sh
# What the tests need besides Python: PostgreSQL's server binaries (the hub tests start a throwaway
# server), tmux (the terminal end-to-end test), openssl (a test certificate for TLS checks), and
# Debian's chromium with fonts-noto-cjk (the web desk's Playwright tests; never `playwright install`).
# On a fresh Debian machine, install what is missing when we may (root with apt-get); else say how.
set -eu
missing=""
have_initdb=no
for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && have_initdb=yes
done
command -v initdb >/dev/null 2>&1 && have_initdb=yes
[ "$have_initdb" = yes ] || missing="$missing postgresql"
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/*CJK* >/dev/null 2>&1 \
    || missing="$missing fonts-noto-cjk"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing what the tests need (apt-get install$missing)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null
    exit 0
fi
echo "The tests need these Debian packages:$missing" >&2
echo "Install them, e.g. 'sudo apt-get install$missing', then run 'make test' again." >&2
exit 1
