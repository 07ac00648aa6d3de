#!/usr/bin/env bash
# What a run of the test command leaves on this machine, and how to remove it:
# CI_DIR (venvs, builds, logs, pyenv's Pythons copied out of /root, chroots
# under CI_DIR/chroots) and the apt packages tools/ci/apt.sh installed.
#
#   tools/ci/disk.sh CI_DIR
set -uo pipefail
CI_DIR=$1
size() { du -sh --one-file-system "$@" 2>/dev/null | cut -f1; }
echo "=== what this run leaves on the machine"
echo "$CI_DIR: $(size "$CI_DIR")"
[ ! -d "$CI_DIR/tox" ] || echo "  the stages' venvs and builds: $(size "$CI_DIR/tox")"
for chroot in "$CI_DIR"/chroots/*/; do
  [ -d "$chroot" ] && echo "  chroot ${chroot%/}: $(size "$chroot")"
done
INSTALLED=()
if [ -s "$CI_DIR/apt-installed.txt" ]; then
  mapfile -t INSTALLED < <(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' \
    $(cat "$CI_DIR/apt-installed.txt") 2>/dev/null | awk '$1 == "ii" {print $2}')
fi
if [ ${#INSTALLED[@]} -gt 0 ]; then
  size=$(dpkg-query -W -f='${Installed-Size}\n' "${INSTALLED[@]}" \
    | awk '{s += $1} END {printf "%.1f MB", s / 1024}')
  echo "apt packages the test command installed: ${#INSTALLED[@]}, $size"
else
  echo "apt packages the test command installed: none (the host had them all)"
fi
echo "to remove it all:"
for chroot in "$CI_DIR"/chroots/*/; do
  [ -d "$chroot" ] && echo "  tools/ci/trixie-chroot.sh remove ${chroot%/}"
done
echo "  rm -rf --one-file-system $CI_DIR"
[ ${#INSTALLED[@]} -eq 0 ] || echo "  apt-get purge ${INSTALLED[*]}"
