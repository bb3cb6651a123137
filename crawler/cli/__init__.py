"""The ``crawler`` command: one entry point for every job, from the farm to the archive queries.

Subcommands live in their own modules and are imported only when called, so ``crawler --help``
and a quick ``crawler extract`` do not pay for Scrapy, SQLAlchemy or the farm at start-up.
This module is the only place that lists them.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from crawler import __version__

# command name -> "module:attribute" of its click command or group.
COMMANDS: dict[str, str] = {
    "demo": "crawler.cli.demo:demo",
    "crawl": "crawler.cli.crawl:crawl",
    "portal": "crawler.cli.portal:portal",
    "extract": "crawler.cli.extract:extract",
    "sim": "crawler.cli.sim:sim",
    "db": "crawler.cli.db:db",
    "search": "crawler.cli.query:search",
    "show": "crawler.cli.query:show",
    "versions": "crawler.cli.query:versions",
    "diff": "crawler.cli.query:diff",
    "export": "crawler.cli.query:export",
    "coverage": "crawler.cli.query:coverage",
    "schedule": "crawler.cli.schedule:schedule",
    "status": "crawler.cli.status:status",
    "worker": "crawler.cli.worker:worker",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def __init__(self, *args, lazy_commands: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands:
            module_name, attribute = self.lazy_commands[cmd_name].split(":")
            return getattr(importlib.import_module(module_name), attribute)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="crawler")
def main() -> None:
    """Harvest and archive the annual rule-of-law reports of China's county portals.

    Start with `crawler demo`: it serves a simulated farm of county portals on loopback,
    harvests it into ./data/archive.db and shows what to try next.
    """


def crawler_command() -> tuple[str, ...]:
    """This installation's ``crawler`` command, for child processes: the entry point beside this
    Python, else the same CLI through ``python -c``."""
    entry = Path(sys.executable).with_name("crawler")
    if entry.exists():
        return (str(entry),)
    return (sys.executable, "-c", "from crawler.cli import main; main()")
