"""The README is the user's manual: every command, config key and exit code is in it."""

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
