#!/usr/bin/env bash
# The .deb from the sdist (dpkg-buildpackage in a clean environment, as a
# Debian builder would), and lintian on it. Changes nothing on the host.
# Built once per sdist: stages that need the .deb (deb.sh, a Debian 13
# chroot...) call this and share DIST_DIR/../deb; the first builds, the others
# wait for it.
#
#   tools/ci/deb-build.sh DIST_DIR       prints the .deb's path last
set -euo pipefail
DIST=$1 BUILD=$1/../deb
PACKAGE=monitoring-plugins-bonding
die() { printf 'deb-build: %s\n' "$*" >&2; exit 1; }
command -v dpkg-buildpackage >/dev/null && command -v lintian >/dev/null \
  || die "debhelper and lintian are not installed (tools/ci/apt.sh)"
SDIST=$(ls "$DIST"/check_bonding-*.tar.gz)
exec 8>"$BUILD.lock"
flock 8
SUM=$(sha256sum <"$SDIST")
if [ "$(cat "$BUILD/sdist.sha256" 2>/dev/null)" = "$SUM" ]; then
  echo "deb-build: $(ls "$BUILD"/${PACKAGE}_*_all.deb), built from this sdist"; ls "$BUILD"/${PACKAGE}_*_all.deb
  exit 0
fi
rm -rf "$BUILD" && mkdir -p "$BUILD"
tar xzf "$SDIST" -C "$BUILD"
# a clean environment: pyenv's python3 on PATH would shadow /usr/bin/python3 in pybuild
(cd "$BUILD"/check_bonding-*/ &&
   env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$BUILD" LANG=C.UTF-8 \
     dpkg-buildpackage -b -us -uc) >"$BUILD.log" 2>&1 \
  || { tail -n 40 "$BUILD.log"; die "dpkg-buildpackage failed (log: $BUILD.log)"; }
DEB=$(ls "$BUILD"/${PACKAGE}_*_all.deb)
dpkg-deb -I "$DEB" | sed -n '/Package:/,/Description:/p'
# lintian refuses nothing as root, but says so on stderr
lintian --info --pedantic --fail-on warning,error "$DEB" 2>&1 | grep -v 'root privileges' || true
lintian --fail-on warning,error "$DEB" 2>/dev/null || die "lintian: $DEB is not clean"
echo "lintian: ${DEB##*/} is clean (overrides in debian/$PACKAGE.lintian-overrides)"
echo "$SUM" >"$BUILD/sdist.sha256"
echo "$DEB"
