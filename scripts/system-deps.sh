#!/usr/bin/env sh
# Debian packages the project needs beyond Python wheels, installed only when missing.
#
#   scripts/system-deps.sh base              make and python3, when missing (CI calls this before make)
#   scripts/system-deps.sh venv PYTHON DIR   create the virtual environment DIR with PYTHON; on a bare
#                                            Debian (no ensurepip) install python3-venv first, then retry
#   scripts/system-deps.sh test              what the tests need: Debian's chromium for the e2e tests
#   scripts/system-deps.sh postgres          postgresql and postgis (for the PostgreSQL store)
#
# Why a script: `make test` must pass on a fresh Debian machine with nothing installed by hand. It
# installs only as root and only what is missing, so a second run does nothing and a developer
# who is not root gets a one-line hint instead of a sudo prompt.
set -eu

APT_UPDATED=""

say() { printf '%s\n' "system-deps: $*" >&2; }

apt_install() {
    # apt_install PACKAGE...: quietly, non-interactively, one `apt-get update` per run.
    if [ "$(id -u)" != "0" ]; then
        say "missing Debian packages: $* (run as root: apt-get install -y $*)"
        return 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        say "missing: $* (not a Debian system: install them with your package manager)"
        return 1
    fi
    say "installing Debian packages: $*"
    if [ -z "$APT_UPDATED" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

make_venv() {
    python=$1
    dir=$2
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -m pip --version >/dev/null 2>&1; then
        return 0
    fi
    if "$python" -m venv "$dir" >/dev/null 2>&1 && "$dir/bin/python" -m pip --version >/dev/null 2>&1; then
        return 0
    fi
    # Debian splits venv/ensurepip out of python3: python3-venv brings them back.
    rm -rf "$dir"
    apt_install python3-venv
    "$python" -m venv "$dir"
}

case "${1:-}" in
    base)
        missing=""
        command -v make >/dev/null 2>&1 || missing="make"
        command -v python3 >/dev/null 2>&1 || missing="$missing python3"
        if [ -n "$missing" ]; then
            # shellcheck disable=SC2086  # one word per package
            apt_install $missing
        fi
        ;;
    venv)
        make_venv "${2:?python}" "${3:?venv dir}"
        ;;
    test)
        if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
            # The e2e tests drive Debian's Chromium through Playwright (no browser download).
            apt_install chromium || say "the end-to-end tests will be skipped (or fail in CI)"
        fi
        # The store tests also run on a throwaway PostgreSQL with PostGIS (tests/pg_server.py).
        if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
            apt_install postgresql postgresql-15-postgis-3 || say "the PostgreSQL store tests will be skipped (or fail in CI)"
        fi
        ;;
    postgres)
        if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
            apt_install postgresql postgis
        fi
        ;;
    *)
        say "usage: $0 base | venv PYTHON DIR | test | postgres"
        exit 2
        ;;
esac
