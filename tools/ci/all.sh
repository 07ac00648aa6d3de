#!/usr/bin/env bash
# The test command, and CI's (.ci/run execs it). As root, from a checkout:
#
#   tools/ci/all.sh              every stage, from scratch, in parallel
#   tools/ci/all.sh -e lint,dist only these stages (any `tox run-parallel` option)
#
# It installs what is missing (apt: tools/ci/apt.sh; pyenv's Python 3.9 and
# 3.13 copied out of /root: tools/ci/pythons.sh; tox in a venv), runs the
# stages of tox.ini with tox run-parallel (each stage's output is printed when
# it ends; a stage's venv is made anew), then says what the run leaves on the
# machine and ends with the tests of all stages added up:
# "N passed, N failed, N skipped". Everything lives in $CB_CI_DIR (default
# /opt/check_bonding-test: the daemons run the plugin as nagios, who cannot
# enter /root).
set -euo pipefail
cd "$(dirname "$0")/../.."
# Debian's tools first: pyenv's python3 must not stand in for /usr/bin/python3
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export CB_CI_DIR=${CB_CI_DIR:-/opt/check_bonding-test}
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
unset PYTHONPATH VIRTUAL_ENV PYTHONHOME
TOX_VERSION=4.67.17   # the runner itself, pinned: a new tox is a change of its own
PARALLEL=${CB_PARALLEL:-6}
# the stages share two cores: the kernel test bed's guests get twice their usual time
export CB_UML_SLOWDOWN=${CB_UML_SLOWDOWN:-2}

START=$SECONDS
# tox would make its work dir private: nagios and nobody run the venvs' Python
mkdir -p "$CB_CI_DIR/tox" && chmod 755 "$CB_CI_DIR" "$CB_CI_DIR/tox"
bash tools/ci/apt.sh "$CB_CI_DIR"
bash tools/ci/pythons.sh "$CB_CI_DIR"
RUNNER=$CB_CI_DIR/runner
[ -x "$RUNNER/bin/python" ] || /usr/bin/python3 -m venv "$RUNNER"
"$RUNNER/bin/python" -m pip install -q "tox==$TOX_VERSION"
echo "prepared in $((SECONDS - START)) s"

rm -rf "$CB_CI_DIR/tox/results" "$CB_CI_DIR/tox.json"
rc=0
"$RUNNER/bin/tox" run-parallel --recreate --parallel "$PARALLEL" --parallel-no-spinner \
  --result-json "$CB_CI_DIR/tox.json" "$@" || rc=$?
echo "all stages in $((SECONDS - START)) s (tox exit $rc)"
bash tools/ci/disk.sh "$CB_CI_DIR"
"$RUNNER/bin/python" tools/ci/tally.py "$CB_CI_DIR/tox/results" "$CB_CI_DIR/tox.json" || { [ "$rc" -ne 0 ] || rc=1; }
exit "$rc"
