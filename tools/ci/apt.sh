#!/usr/bin/env bash
# The apt packages the stages need, installed where they are missing: no
# upgrade of what the host has for its own sake (only missing names are asked
# for, with --no-upgrade; only where a new package needs a newer version of an
# installed one does apt upgrade that, and this script names it before it goes
# ahead), and no daemon started by its install (policy-rc.d). The
# packages it installed are added to $CI_DIR/apt-installed.txt, for
# tools/ci/disk.sh to size and name for removal.
#
#   tools/ci/apt.sh CI_DIR          (root)
set -euo pipefail
cd "$(dirname "$0")/../.."
CI_DIR=$1
die() { printf 'apt: %s\n' "$*" >&2; exit 1; }
WANTED=$(cat tools/ci/APT_PACKAGES tests/*/APT_PACKAGES | sed 's/#.*//' | tr -s ' \n' '\n' | sort -u)
missing() {
  local p
  for p in $WANTED; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}
MISSING=$(missing)
if [ -z "$MISSING" ]; then
  echo "apt: all $(wc -w <<<"$WANTED") packages are installed; nothing to do"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "needs root to install: $(echo $MISSING)"
echo "apt: installing what is missing: $(echo $MISSING)"
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=600 -q)
# host-wide: never at the same time as another engineer's install or purge
exec 9>/run/lock/cb-host.lock
flock -x 9
"${APT[@]}" update >/dev/null
upgrades=$("${APT[@]}" -s install --no-install-recommends --no-upgrade $MISSING | sed -n 's/^Inst \([^ ]*\) \[.*/\1/p')
[ -z "$upgrades" ] || echo "apt: the missing packages need newer versions of installed ones:" $upgrades
dpkg-query -W -f='${Package}\n' | sort >"$CI_DIR/apt.before"
# the daemons among them (lldpd, icinga2, nrpe, openvswitch, postgresql) are not
# started by their install: the stages start their own, by hand (a host's own
# policy-rc.d is left as it is)
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
"${APT[@]}" install -y --no-install-recommends --no-upgrade $MISSING
dpkg-query -W -f='${Package}\n' | sort | comm -13 "$CI_DIR/apt.before" - >>"$CI_DIR/apt-installed.txt"
sort -u -o "$CI_DIR/apt-installed.txt" "$CI_DIR/apt-installed.txt"
rm -f "$CI_DIR/apt.before"
left=$(missing)
[ -z "$left" ] || die "still missing after apt-get install: $(echo $left)"
