#!/usr/bin/env bash
# The package's state directory whatever was there before: the .deb
# installed over each starting point in a chroot, the plugin run as nagios, then
# purged. The install makes /var/lib/check_bonding right or says why it did not;
# a purge removes only what the install made. Nothing on the host is touched.
#
#   tools/ci/deb-state-dir.sh DEB [CHROOT]
#
# CHROOT: the Debian 13 chroot of tools/ci/debian13.sh (made if missing), default
# $CB_CI_DIR/trixie. Needs root. Its dependencies are in the chroot already, so
# dpkg installs the package without the network.
. "$(dirname "$0")/in-trixie.sh"   # DEB, T, PKG, PLUGIN, inside
DIR=/var/lib/check_bonding MARK=.made-by-monitoring-plugins-bonding W=/tmp/cb-state-dir
FALLBACK=/var/lib/nagios/.local/state/check_bonding START=$SECONDS
die() { printf 'deb-state-dir: %s\n' "$*" >&2; exit 1; }
install_pkg() { inside dpkg -i "$W/$(basename "$DEB")" 2>&1; }
owner() { inside stat -c '%U:%G %a' "$@"; }
is() { [ "$1" = "$2" ] || die "$SCENARIO: $3 is '$1', expected '$2'"; }
as_nagios() {  # the plugin as the daemons run it, on the example tree; its output
  inside runuser -u nagios -- env -i PATH=/usr/bin:/bin "$PLUGIN" --root "$W/seed-failover" \
    -b bond1 -v || true
}
root_run() {  # the check as root before the package came: from the source tree
  inside env -i PYTHONPATH="$W/src" python3 -m check_bonding --root "$W/seed-failover" -b bond1 \
    >/dev/null || true
}
clean() { inside sh -c "dpkg --purge $PKG >/dev/null 2>&1; rm -rf $DIR $FALLBACK"; }
scenario() { SCENARIO=$1; clean; echo "--- $SCENARIO"; }

tools/ci/trixie-chroot.sh make "$T" python3-nagiosplugin python3-psutil icinga2-common
rm -rf "$T$W" && mkdir -p "$T$W/src" && cp "$DEB" "$T$W/" && cp -r check_bonding "$T$W/src/"
cp -r examples/seed-failover "$T$W/" && chmod -R go+rX "$T$W"
mkdir "$T$SAVED" && (cd "$T/etc" && cp -a "${ACCOUNTS[@]}" "$T$SAVED/")
trap restore_accounts EXIT   # nagios is hidden from them for a while below

scenario "none there: made for nagios, and removed by purge"
install_pkg >/dev/null
is "$(owner $DIR)" "nagios:nagios 700" "$DIR"
out=$(as_nagios)
grep -q "^  baseline: $DIR/bond1@" <<<"$out" || die "$SCENARIO: no baseline named in $DIR: $out"
inside dpkg -r "$PKG" >/dev/null
inside sh -c "ls $DIR/bond1@*.json >/dev/null" || die "$SCENARIO: remove deleted the baselines"
install_pkg >/dev/null && inside dpkg --purge "$PKG" >/dev/null
inside test ! -e "$DIR" || die "$SCENARIO: purge left $DIR"

scenario "made by the package, an admin's file put in it: purge takes the baselines, keeps the file"
install_pkg >/dev/null && as_nagios >/dev/null && inside touch "$DIR/notes.txt"
grep -q "$DIR kept: it holds files the plugin did not write" <<<"$(inside dpkg --purge "$PKG")" \
  || die "$SCENARIO: purge said nothing"
inside test -f "$DIR/notes.txt" || die "$SCENARIO: purge deleted what it did not make"
inside sh -c "! ls $DIR/bond1@*.json $DIR/$MARK 2>/dev/null" || die "$SCENARIO: purge left its own"

scenario "root's, baselines only: handed to nagios, one history; kept by purge"
root_run
is "$(owner $DIR)" "root:root 700" "$DIR after a root run"
grep -q "$DIR (root's, baselines only) handed to nagios" <<<"$(install_pkg)" \
  || die "$SCENARIO: the install did not say it handed $DIR over"
is "$(inside sh -c "stat -c '%U:%G %a' $DIR $DIR/bond1@*.json" | sort -u | tr '\n' ' ')" \
  "nagios:nagios 600 nagios:nagios 700 " "$DIR and its baseline"
out=$(as_nagios)
grep -q 'first run' <<<"$out" && die "$SCENARIO: root's history not continued: $out"
grep -q 'baselines kept' <<<"$out" && die "$SCENARIO: $out"
inside dpkg --purge "$PKG" >/dev/null
inside sh -c "ls $DIR/bond1@*.json >/dev/null" || die "$SCENARIO: purge deleted what it did not make"

scenario "root's, holding other files: left, said at install and by the plugin"
root_run && inside touch "$DIR/notes.txt"
grep -q "$DIR left as it is (directory of root, mode 700)" <<<"$(install_pkg)" \
  || die "$SCENARIO: the install said nothing"
is "$(owner $DIR)" "root:root 700" "$DIR"
out=$(as_nagios)
grep -q "^BONDING WARNING - baselines kept in $FALLBACK: nagios cannot use $DIR (directory of root, mode 0700)" <<<"$out" \
  || die "$SCENARIO: the plugin did not say where its baselines went: $out"
inside dpkg --purge "$PKG" >/dev/null
inside test -f "$DIR/notes.txt" || die "$SCENARIO: purge deleted what it did not make"

scenario "another user's: left as the admin set it; kept by purge"
inside install -d -o daemon -g daemon -m 0750 "$DIR"
install_pkg >/dev/null
is "$(owner $DIR)" "daemon:daemon 750" "$DIR"
inside dpkg --purge "$PKG" >/dev/null
inside test -d "$DIR" || die "$SCENARIO: purge deleted what it did not make"

scenario "no nagios user yet: nothing made; dpkg-reconfigure makes it once there is"
inside sh -c "sed -i '/^nagios:/d' /etc/passwd /etc/shadow /etc/group /etc/gshadow"
install_pkg >/dev/null
inside test ! -e "$DIR" || die "$SCENARIO: $DIR made without a nagios user"
restore_accounts
inside dpkg-reconfigure "$PKG"
is "$(owner $DIR)" "nagios:nagios 700" "$DIR"
inside dpkg --purge "$PKG" >/dev/null
inside test ! -e "$DIR" || die "$SCENARIO: purge left what it made"

clean && restore_accounts && trap - EXIT && rm -rf "$T$W"
echo "deb-state-dir: 6 starting points, install, run as nagios, purge: as documented ($((SECONDS - START))s)"
