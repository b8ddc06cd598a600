#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# package-test.sh: `make package-test`. Builds the Debian packages
# (libgoro0, libgoro-hook0, libgoro-dev) from a
# copy of this checkout (build/package/goro: dpkg-buildpackage leaves its
# files next to the source, not in the checkout), runs lintian on them
# (errors fail), installs them, builds and runs the consumer programs
# against /usr (tests/consumer/run.sh system) and removes them again, also
# when a step failed. Needs root or sudo, debhelper, dpkg-dev, lintian.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build/package
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# The package version is the header's.
version=$(awk '/^#define GORO_VERSION_(MAJOR|MINOR|PATCH) / { v = v (v == "" ? "" : ".") $3 } END { print v }' include/goro.h)
pkgversion=$(dpkg-parsechangelog -l debian/changelog -S Version)
[ "$pkgversion" = "$version" ] || { echo "package-test: debian/changelog has $pkgversion, goro.h $version"; exit 1; }

rm -rf "$out"
mkdir -p "$out/goro"
tar -C "$root" --exclude=./build --exclude=./.git -cf - . | tar -C "$out/goro" -xf -
(cd "$out/goro" && dpkg-buildpackage -us -uc -b)
debs=("$out"/libgoro0_"$version"_*.deb "$out"/libgoro-hook0_"$version"_*.deb "$out"/libgoro-dev_"$version"_*.deb)
for deb in "${debs[@]}"; do
    echo "== $(basename "$deb")"
    dpkg-deb -c "$deb" | awk '{ print "    " $NF }'
done
lintian --fail-on error --no-tag-display-limit "$out"/*.changes

if dpkg-query -W -f='${Status}' libgoro0 2>/dev/null | grep -q "install ok installed"; then
    echo "package-test: libgoro0 is installed already; not touching it"
    exit 1
fi
trap '$sudo dpkg --purge libgoro-dev libgoro-hook0 libgoro0 >/dev/null' EXIT
$sudo dpkg -i "${debs[@]}"
bash tests/consumer/run.sh system
$sudo dpkg --purge libgoro-dev libgoro-hook0 libgoro0
trap - EXIT
! dpkg-query -W libgoro0 libgoro-hook0 libgoro-dev 2>/dev/null | grep -q "$version" || { echo "package-test: not removed"; exit 1; }
echo "package-test: ok"
