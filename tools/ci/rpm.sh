#!/usr/bin/env bash
# The RPM from the sdist (rpmbuild -ta, as EPEL would build it): its file list,
# its requirements, noarch.     tools/ci/rpm.sh DIST_DIR WORK_DIR
set -euo pipefail
DIST=$1 TOP=$2/rpmbuild
die() { printf 'rpm: %s\n' "$*" >&2; exit 1; }
command -v rpmbuild >/dev/null || die "rpmbuild is not installed (apt-get install rpm)"
SDIST=$(ls "$DIST"/check_bonding-*.tar.gz)
VERSION=${SDIST##*/check_bonding-} VERSION=${VERSION%.tar.gz}
rm -rf "$TOP"
# --nodeps: Debian's rpm database knows none of the EL build requirements
# and Debian's own PATH: a venv's python3 must not stand in for /usr/bin/python3
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$2" LANG=C.UTF-8 \
  rpmbuild -ta --nodeps --define "_topdir $TOP" "$SDIST" >"$TOP.log" 2>&1 \
  || { tail -n 40 "$TOP.log"; die "rpmbuild failed (log: $TOP.log)"; }
RPM=$(ls "$TOP"/RPMS/noarch/nagios-plugins-bonding-"$VERSION"-*.noarch.rpm)
FILES=$(rpm -qlp "$RPM")
REQUIRES=$(rpm -qp --requires "$RPM")
printf '%s\n' "$FILES" | grep -v '/examples/.*/.*/'
for f in /usr/lib64/nagios/plugins/check_bonding /usr/share/man/man8/check_bonding.8 \
         /usr/share/icinga2/include/plugins-contrib.d/check_bonding.conf \
         /check_bonding/cli.py "/check_bonding-$VERSION.dist-info/METADATA" \
         "/usr/share/licenses/nagios-plugins-bonding-$VERSION/LICENSE" \
         "/usr/share/doc/nagios-plugins-bonding-$VERSION/contrib/nrpe/check_bonding.cfg" \
         "/usr/share/doc/nagios-plugins-bonding-$VERSION/examples/seed-failover/proc/net/bonding/bond0"; do
  grep -q -- "$f\$" <<<"$FILES" || die "the RPM lacks $f"
done
for r in 'python3-nagiosplugin >= 1.3.2' 'python3-psutil >= 5.8.0' 'nagios-plugins'; do
  grep -qx -- "$r" <<<"$REQUIRES" || die "the RPM does not require $r"
done
[ "$(rpm -qp --queryformat '%{ARCH}' "$RPM")" = noarch ] || die "the RPM is not noarch"
echo "RPM ${RPM##*/}: file list and requirements as expected"
