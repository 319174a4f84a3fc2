"""The README is the user's manual: every command, config key (with its default) and exit code
is in it, and it documents no config key that does not exist."""

import re
from pathlib import Path

import click
import pytest

from crawler.cli import main
from crawler import exitcodes
from crawler.config.spec import SECTION_SPECS, TABLE_LIST_SPECS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text("utf-8")


def subcommands(group: click.Group) -> dict[str, click.Command]:
    """A group's commands, also those of newsmon's lazily imported top level."""
    return getattr(group, "all_commands", group.commands)


def command_paths(group: click.Group, prefix=("newsmon",)):
    for name, command in subcommands(group).items():
        path = (*prefix, name)
        yield " ".join(path)
        if isinstance(command, click.Group):
            yield from command_paths(command, path)


def config_keys():
    """`crawl.timeout` for sections, `sources[].feeds` for arrays of tables."""
    for section, spec in SECTION_SPECS.items():
        yield from (f"{section}.{key}" for key in spec)
    for table, spec in TABLE_LIST_SPECS.items():
        yield from (f"{table}[].{key}" for key in spec)


@pytest.mark.parametrize("command", sorted(command_paths(main)))
def test_every_command_is_documented_with_an_example(command):
    assert f"`{command}" in README, f"README has no section for {command}"
    assert re.search(rf"^{re.escape(command)}\b", README, re.M), f"README has no example of {command}"


@pytest.mark.parametrize("command", sorted(command_paths(main)))
def test_every_command_help_has_an_example(command):
    *_, names = command.partition(" ")
    target = main
    for name in names.split():
        target = subcommands(target)[name]
    assert "Example:" in (target.help or ""), f"{command} --help shows no example"


@pytest.mark.parametrize("key", sorted(config_keys()))
def test_every_config_key_is_documented(key):
    table, _, name = key.partition("[].")
    # Keys of one table may share a row: `companies[].name`, `.aliases`, ...
    shared_row = name and re.search(rf"^\|[^\n]*`{re.escape(table)}\[\]\.[^\n]*`\.{name}`", README, re.M)
    assert f"`{key}`" in README or shared_row, f"config key {key} missing from README"


@pytest.mark.parametrize("name", [n for n in dir(exitcodes) if n.startswith("EXIT_")])
def test_every_exit_code_is_documented(name):
    code = getattr(exitcodes, name)
    assert re.search(rf"^\| {code} \|", README, re.M), f"exit code {code} ({name}) missing from README"


def defined_commands():
    """Every click command defined at the top of a crawler/commands/ module, by object."""
    import importlib
    import pkgutil

    import crawler.commands

    for module_info in pkgutil.iter_modules(crawler.commands.__path__):
        module = importlib.import_module(f"crawler.commands.{module_info.name}")
        for value in vars(module).values():
            defined_here = getattr(value, "callback", None) is not None and \
                value.callback.__module__ == module.__name__
            if isinstance(value, click.Command) and defined_here:
                yield value


def reachable_commands(group: click.Group):
    for command in subcommands(group).values():
        yield command
        if isinstance(command, click.Group):
            yield from reachable_commands(command)


def test_every_defined_command_is_reachable_so_the_checks_above_see_it():
    """A command written but not registered in crawler/cli.py would escape the checks above."""
    reachable = {id(command) for command in reachable_commands(main)}
    missing = [command.name for command in defined_commands() if id(command) not in reachable]
    assert not missing, f"commands not reachable from `newsmon`: {missing}"
    names = {path.split()[1] for path in command_paths(main)}
    assert {"crawl", "check", "backup", "stories", "maintain", "serve", "schedule"} <= names


CONFIG_ROW = re.compile(r"^\| `([a-z_]+(?:\[\])?\.[a-z_]+)`(?P<more>(?:, `\.[a-z_]+`)*) \|"
                        r"(?P<type>[^|]*)\|(?P<default>[^|]*)\|", re.M)


def documented_config_rows():
    for row in CONFIG_ROW.finditer(README):
        key = row.group(1)
        table = key.partition("[].")[0] if "[]." in key else None
        yield key, row
        for extra in re.findall(r"`\.([a-z_]+)`", row.group("more")):
            yield f"{table}[].{extra}", row


def test_readme_documents_no_config_key_that_does_not_exist():
    known = set(config_keys())
    documented = {key for key, _row in documented_config_rows()}
    assert documented, "no config table found in README"
    assert not documented - known, f"README documents unknown config keys: {documented - known}"


@pytest.mark.parametrize("key", sorted(f"{s}.{k}" for s, spec in SECTION_SPECS.items() for k in spec))
def test_every_section_key_has_a_default_in_readme(key):
    rows = [row for documented, row in documented_config_rows() if documented == key]
    assert rows and rows[0].group("default").strip(), f"README gives no default for {key}"
