#!/usr/bin/env bash
# A Debian 13 (trixie) chroot, for the tests that need trixie's own packages
# (the .deb on Debian 13, netplan/NetworkManager/ifupdown2 as the config-drift
# oracle). Debian's registry serves trixie; nothing else is needed on the host
# but debootstrap.
#
#   tools/ci/trixie-chroot.sh make DIR [PACKAGE...]   make DIR (debootstrap
#       minbase) unless it is there, then install the PACKAGEs it lacks
#   tools/ci/trixie-chroot.sh run DIR COMMAND...      run COMMAND inside, with
#       /proc, /sys and /dev bound for its duration (as root; use runuser
#       inside for another user)
#   tools/ci/trixie-chroot.sh remove DIR              unmount and delete DIR
#
# Services never start inside (policy-rc.d says no); the package lists are
# refreshed once a day; `make` first finishes what an interrupted dpkg left.
set -euo pipefail
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ENV=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive)

die() { printf 'trixie-chroot: %s\n' "$*" >&2; exit 1; }

mounted() { findmnt -rn -o TARGET | grep -E "^$(realpath "$1")/(proc|sys|dev)(/|$)" | sort -r || true; }
unmount_all() { mounted "$1" | while read -r m; do umount -l "$m"; done; }

run() {
  local dir=$1; shift
  for m in proc sys dev; do
    mountpoint -q "$dir/$m" || mount --rbind "/$m" "$dir/$m"
    mount --make-rslave "$dir/$m"
  done
  local rc=0
  chroot "$dir" "${ENV[@]}" "$@" || rc=$?
  unmount_all "$dir"
  return $rc
}

make_chroot() {
  local dir=$1; shift
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  if [ ! -x "$dir/usr/bin/apt-get" ]; then
    rm -rf "$dir.partial"
    mkdir -p "$(dirname "$dir")"
    debootstrap --variant=minbase trixie "$dir.partial" "$MIRROR" >"$dir.debootstrap.log" 2>&1 \
      || { tail -n 20 "$dir.debootstrap.log"; die "debootstrap failed (log: $dir.debootstrap.log)"; }
    mv "$dir.partial" "$dir"
    printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
    chmod 755 "$dir/usr/sbin/policy-rc.d" "$dir"
  fi
  # a run killed half-way (the machine restarted) leaves dpkg's work unfinished
  # and apt refusing: finish it
  if [ -n "$(ls -A "$dir/var/lib/dpkg/updates" 2>/dev/null)" ] \
    || [ -n "$(dpkg --admindir="$dir/var/lib/dpkg" --audit 2>/dev/null)" ]; then
    run "$dir" dpkg --configure -a >"$dir.recover.log" 2>&1 \
      || { tail -n 20 "$dir.recover.log"; die "dpkg --configure -a failed in $dir"; }
  fi
  local missing=() p
  for p in "$@"; do
    dpkg-query --admindir="$dir/var/lib/dpkg" -W -f='${Status}' "$p" 2>/dev/null \
      | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ -z "$(find "$dir/var/lib/apt/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null)" ]; then
    run "$dir" apt-get update -q >/dev/null
  fi
  run "$dir" apt-get install -y -q --no-install-recommends "${missing[@]}" >"$dir.apt.log" 2>&1 \
    || { tail -n 20 "$dir.apt.log"; die "apt-get install ${missing[*]} failed in $dir"; }
}

case ${1:-} in
  make) shift; [ $# -ge 1 ] || die "usage: $0 make DIR [PACKAGE...]"; make_chroot "$@" ;;
  run) shift; [ $# -ge 2 ] || die "usage: $0 run DIR COMMAND..."; run "$@" ;;
  remove) shift; [ $# -eq 1 ] || die "usage: $0 remove DIR"; unmount_all "$1"; rm -rf "$1" ;;
  *) die "usage: $0 make|run|remove DIR ..." ;;
esac
