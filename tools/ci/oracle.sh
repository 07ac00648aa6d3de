#!/usr/bin/env bash
# The config-drift oracle: the tools that bring a bond up, from
# Debian 13 (netplan.io 1.1, NetworkManager 1.52 `nmcli --offline`, ifupdown2
# 3.0, systemd 257: networkd itself and `systemd-analyze timespan`, kmod 34
# `modprobe -c`), run in a debootstrap chroot on the trees check_bonding
# reads; tests/oracle compares their output with the plugin's prediction,
# case by case.
#
#   tools/ci/oracle.sh [--record] [PYTEST ARGS...]
#
# --record rewrites tests/data/oracle/*.json (the tools' outputs that the unit
# suite replays, tests/test_drift_oracle_recorded.py) instead of checking it.
# Needs root (chroot, network and mount namespaces), debootstrap (the host's only
# package: tests/oracle/APT_PACKAGES) and the Debian registry; the tools
# (tests/oracle/CHROOT_PACKAGES) go into the chroot only, never on the host.
# The chroot is $CB_ORACLE_CHROOT, default $CB_CI_DIR/oracle-trixie (CB_CI_DIR
# default /var/tmp/check_bonding-ci); it is made once and reused. PYTHON (default python3) runs pytest: it needs
# pytest and PyYAML, and runs check_bonding from this checkout.
set -euo pipefail
cd "$(dirname "$0")/../.."
CHROOT=${CB_ORACLE_CHROOT:-${CB_CI_DIR:-/var/tmp/check_bonding-ci}/oracle-trixie}
PYTHON=${PYTHON:-python3}
[ "$(id -u)" -eq 0 ] || { echo "oracle.sh: needs root (chroot, namespaces)" >&2; exit 1; }
if [ "${1:-}" = --record ]; then
  shift
  export CB_ORACLE_RECORD=1
fi
read -r -a packages <tests/oracle/CHROOT_PACKAGES
start=$SECONDS
tools/ci/trixie-chroot.sh make "$CHROOT" "${packages[@]}"
echo "oracle: Debian 13 chroot ready in $((SECONDS - start)) s ($CHROOT)"
status=0
CB_ORACLE_CHROOT=$CHROOT "$PYTHON" -m pytest -p no:cacheprovider -q tests/oracle "$@" \
  || status=$?
echo "oracle: done in $((SECONDS - start)) s"
exit "$status"
