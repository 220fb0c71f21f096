#!/bin/sh
# Installs a Debian package some tests need when its program is missing and apt is there (as root,
# or through sudo); elsewhere, or when apt cannot reach its mirror, it says what to do and exits 0:
# those tests then skip with that reason. Used by `make install` (postgresql: PostgreSQL serving's
# throwaway server) and `make bi-install` (chromium: the dashboards' browser test).
#   ensure_debian_package.sh PACKAGE "COMMAND THAT SUCCEEDS WHEN PRESENT" "WHAT SKIPS WITHOUT IT"
package=$1 present=$2 skips=$3
if sh -c "$present" >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "note: no $package and no apt-get: install it yourself; until then $skips" >&2
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "note: installing $package needs root: run 'apt-get install $package' as root; until then $skips" >&2
    exit 0
fi
echo "installing Debian's $package package ($skips without it)"
if ! { $sudo apt-get update -qq && \
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null; }; then
    echo "note: apt-get could not install $package; until it is installed $skips" >&2
fi
exit 0
