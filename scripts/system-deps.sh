#!/usr/bin/env bash
# System packages that `make test` and `make run` need beyond Python, a JDK and Maven.
#
# Today that is one: the `prometheus` server, which an integration test runs
# against a real worker (tests/integration/test_prometheus.py). It comes from
# the distribution (Debian/Ubuntu package `prometheus`) and is installed only
# when no `prometheus` binary is on PATH, so a second run does nothing.
#
# The package's own service is not wanted: the tests start their own server
# on a free port. Where no policy-rc.d exists, a temporary one keeps apt from
# starting the daemon during the install (systemd still enables the unit for
# the next boot; `systemctl disable --now prometheus` if you mind).
set -euo pipefail

if command -v prometheus >/dev/null 2>&1; then
    exit 0
fi

fail() {
    echo "system-deps: $*" >&2
    echo "system-deps: install Prometheus (2.x or later) yourself so that \`prometheus\` is on PATH, then run make again." >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "no \`prometheus\` on PATH and no apt-get to install it with."

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    fail "no \`prometheus\` on PATH; installing it needs root, and neither root nor sudo is available."
fi

log=$(mktemp "${TMPDIR:-/tmp}/vigil-system-deps.XXXXXX")
policy=/usr/sbin/policy-rc.d
made_policy=0
cleanup() {
    if [ "$made_policy" -eq 1 ]; then
        "${as_root[@]}" rm -f "$policy" || true
    fi
    rm -f "$log"
}
trap cleanup EXIT

if [ ! -e "$policy" ]; then
    # exit 101 = "action forbidden": invoke-rc.d and deb-systemd-invoke start nothing.
    printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod 755 "$policy"
    made_policy=1
fi

echo "system-deps: installing the Debian package prometheus (apt-get, about 20 MB)..."
if ! { "${as_root[@]}" apt-get update -qq &&
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends prometheus; } >"$log" 2>&1; then
    cat "$log" >&2
    fail "apt-get could not install the package prometheus (output above)."
fi

command -v prometheus >/dev/null 2>&1 || fail "apt-get installed prometheus, yet no \`prometheus\` is on PATH."
echo "system-deps: $(prometheus --version 2>&1 | head -n 1)"
