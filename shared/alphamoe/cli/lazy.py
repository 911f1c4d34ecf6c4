"""A command group that imports a command's module only when that command runs or shows its own help.

Typer builds every command of an app up front, so one `alphamoe --help` imported all ~25 command modules and
their libraries. Here the group knows its commands from a table of names, one-line help and `module:attribute`
targets (click's "lazily loading subcommands"): `alphamoe --help` lists them from the table, `alphamoe status`
imports `fabric_commands` alone. Each command is still written with typer and built by typer when it is loaded.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click as click  # the click typer 0.29 carries and builds its commands on
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info, get_group_from_info
from typer.models import CommandInfo, TyperInfo

PRETTY_EXCEPTIONS_SHORT = True
"""Typer's default, as `typer.Typer()` passes it when it builds its commands itself."""


@dataclass(frozen=True)
class LazyCommand:
    """One verb of the group: its name, the line `--help` lists, and where its typer function or app lives."""

    name: str
    target: str
    """`package.module:attribute`: a typer command function or a `typer.Typer` of sub-commands."""
    summary: str

    def load(self, parent: TyperGroup) -> click.Command:
        """Import the target and build its click command as typer would have, in the parent's help style."""
        module, _, attribute = self.target.partition(":")
        obj = getattr(importlib.import_module(module), attribute)
        if isinstance(obj, typer.Typer):
            return get_group_from_info(
                TyperInfo(obj, name=self.name, cls=QuickHelpGroup),
                pretty_exceptions_short=PRETTY_EXCEPTIONS_SHORT,
                rich_markup_mode=parent.rich_markup_mode,
                suggest_commands=parent.suggest_commands,
            )
        return get_command_from_info(
            CommandInfo(name=self.name, callback=obj),
            pretty_exceptions_short=PRETTY_EXCEPTIONS_SHORT,
            rich_markup_mode=parent.rich_markup_mode,
        )

    def stand_in(self) -> click.Command:
        """A stand-in carrying only the name and summary, for the parent's command list: nothing is imported."""
        return TyperCommand(name=self.name, help=self.summary)


class _Commands(MutableMapping[str, click.Command]):
    """The group's commands by name: the table's, each built on first use, then any registered the usual way."""

    def __init__(self, group: LazyGroup, eager: Mapping[str, click.Command], table: tuple[LazyCommand, ...]) -> None:
        self._group = group
        self._built = dict(eager)
        self._table = {entry.name: entry for entry in table if entry.name not in self._built}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._built:
            entry = self._table[name]  # KeyError: no such command
            if self._group.listing_only:
                return entry.stand_in()
            self._built[name] = entry.load(self._group)
        return self._built[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._built.pop(name, None)
        self._table.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._table
        yield from (name for name in self._built if name not in self._table)

    def __len__(self) -> int:
        return len(self._table.keys() | self._built.keys())


def summary(command: click.Command) -> str:
    """The line a command list shows: its short help, else its help's first paragraph, whole (as rich help did)."""
    text = command.short_help or (command.help or "").split("\n\n")[0]
    return ("(Deprecated) " if command.deprecated else "") + " ".join(text.split())


class QuickHelpGroup(TyperGroup):
    """A typer group with click's plain help that lists each command's whole summary, and starts without pydantic.

    Typer coerces the absent `--help` flag (`None`) through a pydantic adapter, importing pydantic (~0.1 s) on
    every invocation, `--help` included: here the absent flag is plain `False`. Click's own list cuts each
    summary to its first sentence and to one line ("…"); here it wraps, as the rich help did. A group called
    with no verb prints its help on stdout and exits 2, as typer's rich help did (click alone: on stderr).
    """

    def get_help_option(self, ctx: click.Context) -> Any:
        option = super().get_help_option(ctx)
        if option is not None and option.default is None:
            option.default = False
        return option

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            click.echo(ctx.get_help(), color=ctx.color)  # on stdout, as typer's rich help printed it; click: stderr
            ctx.exit(2)
        return super().parse_args(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, summary(command)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class LazyGroup(QuickHelpGroup):
    """The `alphamoe` group: its sub-commands come from `table` and load one at a time (set `table` on a subclass)."""

    table: tuple[LazyCommand, ...] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.listing_only = False
        self.commands = _Commands(self, self.commands, self.table)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # names only: typer's own reads every value, which would load every command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.listing_only = True  # the command list shows stand-ins: name and summary, no import
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing_only = False


def lazy_group(table: tuple[LazyCommand, ...]) -> type[LazyGroup]:
    """Return a `LazyGroup` class over `table`, to pass as `typer.Typer(cls=...)`."""
    return type("AlphamoeGroup", (LazyGroup,), {"table": table})
