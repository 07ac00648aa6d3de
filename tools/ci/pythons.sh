#!/usr/bin/env bash
# pyenv's newest Python 3.9 and 3.13, copied to CI_DIR/python-X.Y for the
# floor and newest stages: pyenv keeps them under /root, which nobody and
# nagios (who run the tests' interpreter) cannot enter. The copy finds its
# libpython next to itself ($ORIGIN); the standard library's own test suite is
# left out (200 MB). A copy of the same source is kept from the last run.
#
#   tools/ci/pythons.sh CI_DIR [X.Y...]       (default: 3.9 3.13)
set -euo pipefail
CI_DIR=$1; shift
VERSIONS=${PYENV_ROOT:-/root/.pyenv}/versions
die() { printf 'pythons: %s\n' "$*" >&2; exit 1; }
command -v patchelf >/dev/null || die "patchelf is not installed (tools/ci/apt.sh)"
[ $# -gt 0 ] || set -- 3.9 3.13
for v in "$@"; do
  found=$(ls -d "$VERSIONS/$v".*/bin/python"$v" 2>/dev/null | sort -V | tail -n 1)
  [ -n "$found" ] || die "no Python $v under $VERSIONS (pyenv install $v)"
  source=$(dirname "$(dirname "$found")") copy=$CI_DIR/python-$v
  if [ "$(cat "$copy/.source" 2>/dev/null)" = "$source" ] && [ -x "$copy/bin/python$v" ]; then
    echo "Python $v: $copy (kept, from $source)"; continue
  fi
  rm -rf "$copy" && mkdir -p "$copy"
  tar -C "$source" --exclude="./lib/python$v/test" -cf - . | tar -C "$copy" -xf -
  patchelf --set-rpath '$ORIGIN/../lib' "$copy/bin/python$v"
  chmod -R go+rX "$copy"
  echo "$source" >"$copy/.source"
  "$copy/bin/python$v" -c 'import ssl, sqlite3, venv' || die "$copy/bin/python$v is incomplete"
  echo "Python $v: $copy (copied from $source)"
done
