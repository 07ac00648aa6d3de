#!/usr/bin/env bash
# The .deb's round trip on this host: built (deb-build.sh), installed with apt,
# run as nagios (baseline in /var/lib/check_bonding, the quick start, the man
# page), run by Icinga 2, NRPE and Nagios 4 (tests/integration against the
# package: none may skip), removed (only the baselines stay) and purged (the
# host's file list as before). The install..purge window holds
# /run/lock/cb-host.lock exclusively: no other stage's daemons run meanwhile.
#
#   tools/ci/deb.sh DIST_DIR WORK_DIR PYTHON     (root; PYTHON runs pytest)
set -euo pipefail
DIST=$1 WORK=$2 PYTHON=$3
HERE=$(cd "$(dirname "$0")" && pwd)
PACKAGE=monitoring-plugins-bonding PLUGIN=/usr/lib/nagios/plugins/check_bonding
die() { printf 'deb: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "needs root to install the package"
bash "$HERE/deb-build.sh" "$DIST" | tee "$WORK/deb-build.out"
DEB=$(tail -n 1 "$WORK/deb-build.out")

# Everything on the host outside the places that change anyway.
host_files() {
  find /etc /usr /var -xdev \( -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache \
    -o -path /var/log -o -path /var/tmp -o -path /var/lib/ucf \) -prune -o -print | sort
}
installed() { dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null | grep -q 'ok installed'; }
apt_get() { apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0 -y -q "$@"; }

round_trip() {
  if installed; then echo "purging $PACKAGE left by an earlier run"; apt_get purge "$PACKAGE"; fi
  host_files >"$WORK/files.before"
  apt_get install "$DEB"
  trap 'installed && apt_get purge "$PACKAGE" >/dev/null' EXIT  # a failure leaves the host as found
  getent passwd nagios >/dev/null || die "no nagios user: the daemon packages are missing"
  # the plugin as the agents run it: Debian's Python and libraries, no venv
  [ "$(head -n 1 "$PLUGIN")" = "#!/usr/bin/python3" ] || die "$PLUGIN: not run by /usr/bin/python3"
  (cd / && runuser -u nagios -- env -i /usr/bin/python3 -c '
import check_bonding, nagiosplugin, psutil
for m in (check_bonding, nagiosplugin, psutil):
    assert m.__file__.startswith("/usr/lib/python3/dist-packages/"), m.__file__
print("as nagios: check_bonding, nagiosplugin, psutil from /usr/lib/python3/dist-packages")')
  [ "$(stat -c '%U:%G %a' /var/lib/check_bonding)" = "nagios:nagios 700" ] \
    || die "/var/lib/check_bonding: $(stat -c '%U:%G %a' /var/lib/check_bonding), expected nagios:nagios 700"
  # nagios without options stores its baseline in /var/lib/check_bonding
  local example
  example=$(mktemp -d) && chmod 755 "$example" && cp -r "$HERE/../../examples/seed-failover" "$example/"
  runuser -u nagios -- env -i PATH=/usr/bin:/bin "$PLUGIN" --root "$example/seed-failover" -v || true
  rm -rf "$example"
  ls /var/lib/check_bonding/bond0@*.json >/dev/null || die "no baseline stored in /var/lib/check_bonding"
  "$PYTHON" "$HERE/quickstart.py" runuser -u nagios -- "$PLUGIN"
  man -P cat check_bonding 2>/dev/null | grep -q check_bonding || die "man check_bonding does not render"
  echo "man check_bonding: $(man -P cat check_bonding 2>/dev/null | sed -n 4p | sed 's/^ *//')"

  # the daemons run the package's plugin; none of their tests may skip here
  local rc=0
  CHECK_BONDING_PLUGIN=$PLUGIN "$PYTHON" -m pytest -q -rs -p no:cacheprovider \
    --basetemp="$WORK/pytest" --junitxml="${CB_RESULTS:-$WORK}/deb.xml" tests/integration >"$WORK/pytest.log" 2>&1 || rc=$?
  cat "$WORK/pytest.log"
  [ $rc -eq 0 ] || die "daemon tests against the package failed"
  ! grep -qE '[0-9]+ skipped' "$WORK/pytest.log" || die "daemon tests skipped against the package"

  apt_get remove "$PACKAGE"
  host_files >"$WORK/files.removed"
  # remove keeps the data (the baselines), nothing else; purge removes that too
  local left
  left=$(comm -13 "$WORK/files.before" "$WORK/files.removed" | grep -v '^/var/lib/check_bonding' || true)
  [ -z "$left" ] || die "apt-get remove left: $left"
  [ -d /var/lib/check_bonding ] || die "apt-get remove deleted the baselines in /var/lib/check_bonding"
  apt_get purge "$PACKAGE"
  host_files >"$WORK/files.purged"
  diff -u "$WORK/files.before" "$WORK/files.purged" | grep -vE '^(\+\+\+|---)' | grep -E '^[-+]' \
    | grep -v '^-/var/lib/check_bonding' >"$WORK/files.diff" || true
  [ ! -s "$WORK/files.diff" ] || { cat "$WORK/files.diff"; die "purge left the host changed"; }
  case $(dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null || true) in
    ""|*not-installed) ;;
    *) die "dpkg still knows $PACKAGE after purge" ;;
  esac
  echo "remove kept only /var/lib/check_bonding; purge left nothing behind"
}

exec 9>/run/lock/cb-host.lock
flock -x 9
round_trip
