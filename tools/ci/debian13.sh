#!/usr/bin/env bash
# Debian 13 (trixie): the .deb built on Debian 12 installed with apt into a
# trixie chroot (Python 3.13, python3-nagiosplugin 1.3.2, python3-psutil 7,
# icinga2 2.14), the fixture suite run as nagios against the installed plugin,
# the packaged CheckCommand validated by trixie's `icinga2 daemon -C` with the
# docs' services and host, then purged: nothing may be left.
#
#   tools/ci/debian13.sh DEB [CHROOT]
#
# DEB: the built monitoring-plugins-bonding_*_all.deb. CHROOT (made if missing,
# reused; ~35 s to make): default $CB_CI_DIR/trixie. Needs root and debootstrap.
. "$(dirname "$0")/in-trixie.sh"   # DEB, T, PKG, PLUGIN, inside
DOC=/usr/share/doc/monitoring-plugins-bonding W=/tmp/cb-debian13
START=$SECONDS
die() { printf 'debian13: %s\n' "$*" >&2; exit 1; }
as_nagios() { inside runuser -u nagios -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"; }
# what the package may change, outside the places that change anyway
files() {
  (cd "$T" && find etc usr var \( -path var/lib/dpkg -o -path var/lib/apt -o -path var/cache \
    -o -path var/log -o -path var/lib/icinga2 -o -path var/lib/ucf \) -prune -o -print | sort)
}

OURS=("$T/etc/icinga2/conf.d/cb-services.conf" "$T/etc/icinga2/conf.d/cb-router1.conf" "$T$W")
# the chroot is reused: nothing of this run stays in it (nor of one killed half-way)
rm -rf "${OURS[@]}" && trap 'rm -rf "${OURS[@]}"' EXIT
tools/ci/trixie-chroot.sh make "$T" python3-nagiosplugin python3-psutil python3-yaml \
  python3-pytest python3-hypothesis icinga2-bin icinga2-common man-db
inside sh -c "dpkg -s $PKG >/dev/null 2>&1 && apt-get purge -y -q $PKG >/dev/null || true"
rm -rf "$T$W" && mkdir -p "$T$W" && cp "$DEB" "$T$W/"
cp -r tests examples "$T$W/" && chown -R 0:0 "$T$W" && chmod -R go+rX "$T$W"
inside chown -R nagios: "$W/tests"   # pytest and hypothesis write next to the tests
files >"$T.files.before"

inside apt-get install -y -q --no-install-recommends "$W/$(basename "$DEB")" >"$T.install.log" \
  || { tail -n 20 "$T.install.log"; die "apt-get install $(basename "$DEB") failed"; }
inside dpkg-query -W python3 python3-nagiosplugin python3-psutil icinga2-bin | tr '\n' ' '; echo
[ "$(inside head -n 1 "$PLUGIN")" = "#!/usr/bin/python3" ] || die "$PLUGIN: not run by /usr/bin/python3"
[ "$(inside stat -c '%U:%G %a' /var/lib/check_bonding)" = "nagios:nagios 700" ] \
  || die "/var/lib/check_bonding is not nagios:nagios 0700"

# the fixture suite as nagios, on the installed package and trixie's libraries only
where=$(as_nagios sh -c "cd $W/tests && python3 -c 'import check_bonding, nagiosplugin, psutil
print(*(m.__file__ for m in (check_bonding, nagiosplugin, psutil)))'")
for f in $where; do [[ $f == /usr/lib/python3/dist-packages/* ]] || die "as nagios: $f imported"; done
# (the replays by nobody itself need root to become nobody: nagios runs all the others)
as_nagios sh -c "cd $W/tests && python3 -m pytest -q -p no:cacheprovider --junitxml=debian13.xml test_fixtures.py -k 'not as_nobody'" \
  | tail -n 1 | tee "$T.pytest.log"
[ -z "${CB_RESULTS:-}" ] || { mkdir -p "$CB_RESULTS" && cp "$T$W/tests/debian13.xml" "$CB_RESULTS/"; }   # for the closing tally
grep -qE '^[0-9]+ passed' "$T.pytest.log" && ! grep -qE 'failed|skipped|error' "$T.pytest.log" \
  || die "the fixture suite failed or skipped on trixie"
# the man page's example, as nagios: its first baseline goes to /var/lib/check_bonding
# (man -l: man-db's cache may hold the page of an earlier build of the same version)
page=$(inside man -w check_bonding) && [[ $page == /usr/share/man/man8/check_bonding.8.gz ]]
example=$(inside man -P cat -l "$page" 2>/dev/null | grep -o -- "--root $DOC/examples/seed-failover")
out=$(as_nagios "$PLUGIN" $example -v || true)
[[ $out == "BONDING WARNING - bond0: eth0 down"* ]] || die "the man page's example said: $out"
grep -q "^  baseline: /var/lib/check_bonding/bond0@.*\.json$" <<<"$out" || die "no baseline named"
ls "$T"/var/lib/check_bonding/bond0@*.json >/dev/null || die "no baseline in /var/lib/check_bonding"

# trixie's Icinga 2 reads the packaged CheckCommand through <plugins-contrib>; the
# packaged services.conf and the docs' host, checked by this Icinga itself (standalone:
# no agent_endpoint, so conf.d; tests/integration/test_icinga2_agent.py does the agent)
cp "$T$DOC/contrib/icinga/services.conf" "$T/etc/icinga2/conf.d/cb-services.conf"
cat >"$T/etc/icinga2/conf.d/cb-router1.conf" <<'EOF'
object Host "router1" {
  check_command = "hostalive"
  address = "192.0.2.1"
  vars.bonds["bond0"] = { primary = "eth0", mode = "active-backup" }
  vars.bonds["bond1"] = { mode = "802.3ad", slaves = "eth2,eth3",
                          expect = [ "lacp_rate=fast", "xmit_hash_policy=layer3+4" ],
                          state = [ "aggregator-mismatch=ok" ] }
}
EOF
inside icinga2 daemon -C --dump-objects -x warning >"$T.icinga2.log" 2>&1 || { cat "$T.icinga2.log"; die "icinga2 daemon -C failed"; }
! grep -E 'warning/|critical/' "$T.icinga2.log" || die "icinga2 daemon -C warned"
inside icinga2 object list --type CheckCommand --name bonding | grep -qF "\"$PLUGIN\"" \
  || die "icinga2: no CheckCommand bonding running $PLUGIN"
services=$(inside icinga2 object list --type Service | sed -n "s/^Object 'router1!\(bonding.*\)' of type 'Service':/\1/p" | sort | tr '\n' ,)
[ "$services" = "bonding bond0,bonding bond1," ] || die "icinga2 made services: $services"
rm -f "${OURS[@]:0:2}"
echo "icinga2 $(inside icinga2 --version | sed -n 's/.*(version: \(.*\)).*/\1/p' | head -n 1):" \
  "daemon -C clean, CheckCommand bonding from the package, services: $services"

inside apt-get purge -y -q "$PKG" >>"$T.install.log" || die "apt-get purge failed"
rm -rf "$T$W"
files >"$T.files.after"
diff -u "$T.files.before" "$T.files.after" || die "purge left the chroot changed (above)"
echo "debian13: installed, fixture suite as nagios, icinga2 -C, purged clean in $((SECONDS - START))s"
