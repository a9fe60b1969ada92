#!/bin/sh
# The hub tests start a throwaway PostgreSQL server of their own; they need its binaries.
# On a fresh Debian machine, install them when we may (root with apt-get); otherwise say how.
set -eu
for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && exit 0
done
command -v initdb >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing PostgreSQL server binaries for the hub tests (apt-get install postgresql)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    exit 0
fi
echo "The hub tests need PostgreSQL's server binaries (initdb, pg_ctl)." >&2
echo "Install them, e.g. 'sudo apt-get install postgresql', then run 'make test' again." >&2
exit 1
