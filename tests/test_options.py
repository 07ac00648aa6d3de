"""The command line record (options.py): constants it copies to keep -h light."""
from check_bonding import expect, options
from check_bonding.drift import predict


def test_expect_keys_are_the_expect_modules_keys():
    assert options.EXPECT_KEYS == expect.KEYS


def test_config_sources_are_the_readers_sources_plus_auto():
    assert options.CONFIG_SOURCES == ('auto', *predict.SOURCES)


def test_ovs_modes_are_the_ovs_readers_modes():
    from check_bonding.ovs import parse as ovs_parse
    assert options.OVS_MODES == ovs_parse.MODES


def test_the_mode_help_names_every_mode_with_its_number(monkeypatch):
    from check_bonding.parse import MODES
    monkeypatch.setenv('COLUMNS', '2000')  # one line per option: no wrapping at hyphens
    kernel = ', '.join(f'{mode} ({number})' for number, mode in enumerate(MODES))
    assert f'{kernel}; Open vSwitch: {", ".join(options.OVS_MODES)}' in \
        options.parser().format_help()


def test_no_module_is_longer_than_a_reader_takes_in():
    """Modules of at most 300 lines, one responsibility each (docs/development.md)."""
    import pathlib
    package = pathlib.Path(options.__file__).parent
    long = {str(p.relative_to(package)): n for p in package.rglob('*.py')
            if (n := len(p.read_text(encoding='utf-8').splitlines())) > 300}
    assert not long, long
