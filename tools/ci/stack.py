"""Print what a stage runs on; with --debian, fail unless nagiosplugin and
psutil are Debian's packages and no copy from PyPI stands beside them."""
import importlib.metadata as md
import sys

DEBIAN = '/usr/lib/python3/dist-packages/'


def main(debian_only):
    import nagiosplugin
    import psutil
    print('Python %s, nagiosplugin %s (%s), psutil %s (%s)' % (
        sys.version.split()[0], md.version('nagiosplugin'), nagiosplugin.__file__,
        md.version('psutil'), psutil.__file__))
    if not debian_only:
        return 0
    for module in (nagiosplugin, psutil):
        name = module.__name__
        places = {str(d.locate_file('')) for d in md.distributions()
                  if (d.metadata['Name'] or '').lower() == name}
        if not module.__file__.startswith(DEBIAN) or places != {DEBIAN.rstrip('/')}:
            print(f'{name}: {module.__file__}, installed in {sorted(places)}: '
                  f'only Debian\'s package may be there (apt-get install python3-{name})')
            return 1
    print("nagiosplugin and psutil come from Debian's packages only")
    return 0


if __name__ == '__main__':
    sys.exit(main('--debian' in sys.argv[1:]))
