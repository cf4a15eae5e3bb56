"""Docs that cannot drift: every command has help with an example and is named in the README."""

from pathlib import Path

import click
import pytest

from veille.cli import cli

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "veille"):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None:
            continue
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from _commands(command, path)
        else:
            yield path, command


COMMANDS = sorted(_commands(cli), key=lambda c: c[0])


def test_there_are_commands():
    names = [name for name, _ in COMMANDS]
    assert "veille collect" in names and "veille sources add" in names


@pytest.mark.parametrize("name, command", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_is_documented(name, command):
    help_text = command.help or ""
    assert "Example" in help_text, f"{name} has no example in its help"
    assert name in README, f"{name} is not mentioned in README.md"


def test_readme_starts_with_the_two_commands():
    head = "\n".join(README.splitlines()[:15])
    assert "make run" in head and "make test" in head
