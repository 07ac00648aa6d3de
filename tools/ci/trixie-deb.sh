#!/usr/bin/env bash
# The debian13 stage: the .deb built from the sdist (once per sdist,
# deb-build.sh), then in one Debian 13 chroot, one after the other (both
# install the package there): debian13.sh (apt install, the fixture suite as
# nagios, icinga2 daemon -C, purge) and deb-state-dir.sh (the state directory
# whatever was there before). Nothing on the host is touched.
#
#   tools/ci/trixie-deb.sh DIST_DIR CHROOT
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIST=$1 CHROOT=$2
mkdir -p "$(dirname "$CHROOT")"
bash "$HERE/deb-build.sh" "$DIST" >"$CHROOT.deb-build.out" 2>&1 \
  || { cat "$CHROOT.deb-build.out"; exit 1; }
DEB=$(tail -n 1 "$CHROOT.deb-build.out")
echo "debian13: $DEB"
bash "$HERE/debian13.sh" "$DEB" "$CHROOT"
bash "$HERE/deb-state-dir.sh" "$DEB" "$CHROOT"
