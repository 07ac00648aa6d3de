"""The sdist holds what the packages are built from and the tests run from;
the wheel holds every module of check_bonding/.   dist_check.py DIST_DIR"""
import pathlib
import sys
import tarfile
import zipfile

import check_bonding

IN_SDIST = ('LICENSE', 'CHANGELOG.md', 'README.md', 'debian/rules',
            'rpm/nagios-plugins-bonding.spec', 'tools/generate.py',
            'contrib/icinga/check_bonding.conf', 'examples/seed-failover',
            'tests/conftest.py', 'tox.ini', 'tools/ci/deb.sh')


def main(dist):
    top = f'check_bonding-{check_bonding.__version__}'
    with tarfile.open(dist / f'{top}.tar.gz') as sdist:
        names = set(sdist.getnames())
    lacking = [f for f in IN_SDIST if f'{top}/{f}' not in names]
    if lacking:
        return f'the sdist lacks {lacking}'
    print('the sdist holds the package sources, packaging, docs and tests')
    with zipfile.ZipFile(dist / f'{top}-py3-none-any.whl') as wheel:
        names = set(wheel.namelist())
    modules = [str(p) for p in pathlib.Path('check_bonding').rglob('*.py')]
    missing = [m for m in modules if m not in names]
    if missing:
        return f'the wheel lacks {missing}'
    print(f'the wheel holds all {len(modules)} modules of check_bonding/')
    return 0


if __name__ == '__main__':
    sys.exit(main(pathlib.Path(sys.argv[1])))
