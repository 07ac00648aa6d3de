"""The README's quick start against an installed plugin: on a copy of
examples/seed-failover it must say WARNING (exit 1) and name the failed link.

    quickstart.py COMMAND...                 e.g. runuser -u nagios -- /usr/lib/.../check_bonding
    quickstart.py --pipx DIST_DIR PIPX_HOME  pipx-install the wheel with /usr/bin/python3 first
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

EXAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', 'examples', 'seed-failover')
FIRST_LINE = 'BONDING WARNING - bond0: eth0 down'


def check(command):
    top = tempfile.mkdtemp(prefix='check_bonding-quickstart-')
    try:
        os.chmod(top, 0o755)  # the plugin may run as nagios
        tree = shutil.copytree(EXAMPLE, os.path.join(top, 'seed-failover'))
        run = subprocess.run([*command, '--root', tree, '--no-state', '-v'], cwd='/',
                             capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(top)
    print(run.stdout + run.stderr, end='')
    if run.returncode != 1 or not run.stdout.startswith(FIRST_LINE):
        return f'{" ".join(command)}: exit {run.returncode}, expected 1 and "{FIRST_LINE}..."'
    print(f'quick start: {" ".join(command)} says what the README says')
    return 0


def pipx(dist, home):
    wheel, = glob.glob(os.path.join(dist, 'check_bonding-*-py3-none-any.whl'))
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, 'PIPX_HOME': home, 'PIPX_BIN_DIR': os.path.join(home, 'bin')}
    subprocess.run(['pipx', 'install', '--python', '/usr/bin/python3', wheel],
                   env=env, check=True)
    return check([os.path.join(home, 'bin', 'check_bonding')])


if __name__ == '__main__':
    args = sys.argv[1:]
    sys.exit(pipx(*args[1:]) if args[:1] == ['--pipx'] else check(args))
