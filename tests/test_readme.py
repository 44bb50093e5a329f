"""The README stays true: its options, exit codes and sandbox faults are the program's own."""

import argparse
import re

import pytest

from importer.cli.arguments import build_parser
from importer.cli.commands import ExitCode

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _subcommands():
    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return commands.choices


@pytest.mark.parametrize(
    "command", ["run", "validate", "report", "template", "sandbox", "web", "undo", "history"]
)
def test_every_option_of_every_command_is_in_the_readme(command):
    sub = _subcommands().get(command)
    if sub is None:
        pytest.skip(f"no {command} command")
    shown = [a for a in sub._actions if a.help != argparse.SUPPRESS]
    options = [s for a in shown for s in a.option_strings if s.startswith("--")]
    missing = [o for o in options if o not in {"--help"} and f"`{o}" not in README]
    assert not missing, f"wolkvox-import {command}: options not in the README: {missing}"


def test_the_exit_code_table_is_the_programs():
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README, re.M))
    assert sorted(map(int, table)) == sorted(int(c) for c in ExitCode)


def test_the_sandbox_faults_listed_are_the_sandboxs():
    from importer.sandbox.server import FAULTS

    listed = re.search(r"`--fault NAME=KIND`.*?:(.*?)\.\s", README, re.S)
    assert listed is not None
    assert re.findall(r"`([a-z_]+)`", listed.group(1)) == list(FAULTS)


def _listed_modules() -> dict[str, list[str]]:
    """The README's folder list: each folder of importer/ and the modules listed under it."""
    listed: dict[str, list[str]] = {}
    folder = None
    for line in README.splitlines():
        if top := re.match(r"^- `((?:importer|\w+)/)`:", line):
            folder = "" if top.group(1) == "importer/" else top.group(1)
            listed[folder] = []
        elif folder is not None and (item := re.match(r"^  - (`\w+`(?:, `\w+`)*):", line)):
            listed[folder] += re.findall(r"`(\w+)`", item.group(1))
        elif folder is not None and not line.strip():
            break
    return listed


def test_the_readmes_folder_list_is_the_package():
    root = ROOT / "importer"
    actual = {
        "" if p.parent == root else p.parent.name + "/": sorted(
            q.stem for q in p.parent.glob("*.py") if q.stem != "__init__"
        )
        for p in root.rglob("__init__.py")
    }
    listed = {folder: sorted(mods) for folder, mods in _listed_modules().items()}
    assert listed == actual
