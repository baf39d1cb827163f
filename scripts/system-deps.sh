#!/usr/bin/env bash
# System packages that `make test` and `make run` need beyond Python, a JDK and Maven.
#
# Today there are three, all from the distribution (Debian/Ubuntu), each
# installed only when its binary is not on PATH, so a second run does nothing:
# - `prometheus`: an integration test runs a real server against a real worker
#   (tests/integration/test_prometheus.py);
# - `chromium`: headless, it opens the postmortem report in the browser tests
#   (tests/browser.py, tests/integration/test_report_browser.py). Any of
#   `chromium`, `chromium-browser` or `google-chrome` on PATH will do;
# - `npm` (with Node.js): `make a11y-deps` installs axe-core, pinned in
#   tests/a11y/package-lock.json, for the dashboard's accessibility audit.
#
# The prometheus package's own service is not wanted: the tests start their
# own server on a free port. Where no policy-rc.d exists, a temporary one keeps
# apt from starting the daemon during the install (systemd still enables the
# unit for the next boot; `systemctl disable --now prometheus` if you mind).
set -euo pipefail

have() {
    local bin
    for bin in "$@"; do
        command -v "$bin" >/dev/null 2>&1 && return 0
    done
    return 1
}

# Debian package → the binaries that satisfy it (any one of them).
missing=()
have prometheus || missing+=(prometheus)
have chromium chromium-browser google-chrome || missing+=(chromium)
have npm || missing+=(npm)

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

fail() {
    echo "system-deps: $*" >&2
    echo "system-deps: install ${missing[*]} yourself so that the binaries are on PATH" \
        "(Prometheus 2.x or later; chromium, chromium-browser or google-chrome; npm), then run make again." >&2
    exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "missing ${missing[*]} and no apt-get to install them with."

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    fail "missing ${missing[*]}; installing needs root, and neither root nor sudo is available."
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

echo "system-deps: installing the Debian packages ${missing[*]} (apt-get; prometheus ~20 MB, chromium ~100 MB)..."
if ! { "${as_root[@]}" apt-get update -qq &&
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    fail "apt-get could not install ${missing[*]} (output above)."
fi

have prometheus || fail "apt-get ran, yet no \`prometheus\` is on PATH."
have chromium chromium-browser google-chrome || fail "apt-get ran, yet no \`chromium\` is on PATH."
for pkg in "${missing[@]}"; do
    case "$pkg" in
    prometheus) echo "system-deps: $(prometheus --version 2>&1 | head -n 1)" ;;
    chromium) echo "system-deps: $(chromium --version 2>/dev/null | head -n 1)" ;;
    esac
done
