# Sourced by debian13.sh and deb-state-dir.sh, which take the same arguments
# (DEB [CHROOT]): checks them, sets DEB, T (the chroot), PKG and PLUGIN, and
# defines `inside COMMAND...` (run COMMAND in the chroot) and `restore_accounts`.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] && [ -f "$1" ] || { echo "usage: $0 DEB [CHROOT]" >&2; exit 2; }
DEB=$(realpath "$1")
T=${2:-${CB_CI_DIR:-/opt/check_bonding-test}/trixie}
PKG=monitoring-plugins-bonding PLUGIN=/usr/lib/nagios/plugins/check_bonding
inside() { tools/ci/trixie-chroot.sh run "$T" "$@"; }

# deb-state-dir.sh hides nagios from the chroot's accounts for a while; it keeps
# them in SAVED, and a run killed meanwhile left them there: put them back first
ACCOUNTS=(passwd shadow group gshadow) SAVED=/tmp/cb-state-dir/etc
restore_accounts() { (cd "$T$SAVED" && cp -a "${ACCOUNTS[@]}" "$T/etc/"); }
[ ! -f "$T$SAVED/passwd" ] || { restore_accounts && rm -rf "$T$SAVED"; }
