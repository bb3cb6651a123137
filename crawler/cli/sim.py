"""``crawler sim``: serve the simulated portal farm, or print its ground truth.

    crawler sim serve --portals 12 --seed 1 --night 0 --port 0 --write-portals /tmp/portals
    crawler sim manifest --portals 12 --seed 1 --night 0 --port 8800

``serve`` prints one line when every listener is bound and then serves until stopped::

    farm ready: 24 portals, port 41234, http://127.0.0.1:41234/ http://127.0.0.2:41234/ ...
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from crawler.sim.faults import FAULT_KINDS, parse_faults
from crawler.sim.farm import FAMILY_ORDER


def _faults(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    try:
        return parse_faults(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _families(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    from crawler.sim.families import family

    names = tuple(n.strip() for n in value.split(",") if n.strip())
    try:
        for name in names:
            family(name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    if not names:
        raise click.BadParameter("name at least one family", ctx=ctx, param=param)
    return names


def farm_options(command):
    """The options that define a farm: the same on ``serve`` and ``manifest``."""
    options = [
        click.option("--portals", type=click.IntRange(min=1), default=3, show_default=True, help="County portals."),
        click.option("--seed", type=int, default=1, show_default=True, help="Seed: same seed, same farm."),
        click.option("--night", type=click.IntRange(min=0), default=0, show_default=True,
                     help="Night to serve (0 = 2025-06-01; 2 brings edits, deletions, mirrors, late reports)."),
        click.option("--host", default="127.0.0.1", show_default=True,
                     help="First loopback address; portals take consecutive addresses from here."),
        click.option("--faults", default="", callback=_faults, metavar="LIST",
                     help=f"Comma list of fault kinds or 'all': {', '.join(FAULT_KINDS)}."),
        click.option("--families", default=",".join(FAMILY_ORDER), show_default=True, callback=_families,
                     metavar="LIST", help="CMS families the portals rotate through; 'gkmlpt' is optional."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.group()
def sim() -> None:
    """The simulated portal farm on loopback (see docs/simulator.md)."""


@sim.command()
@farm_options
@click.option("--port", type=click.IntRange(0, 65535), default=8800, show_default=True,
              help="Port on every portal address; 0 picks one free on all of them.")
@click.option("--write-portals", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write one portal TOML per simulated portal into this directory.")
@click.option("--latency", type=click.FloatRange(min=0), default=0.0, show_default=True, metavar="SECONDS",
              help="Every answer waits this long, so a crawler's concurrent requests overlap (concurrency tests); "
              "GET /_farm/peak-concurrency on any address gives each address's peak of requests in flight.")
def serve(portals: int, seed: int, night: int, host: str, faults: tuple[str, ...], families: tuple[str, ...],
          port: int, write_portals: Path | None, latency: float) -> None:
    """Serve all portals from this process until stopped; print a ready line first."""
    from crawler.sim.farm import Farm
    from crawler.sim.server import serve as serve_farm

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    def build(chosen: int) -> Farm:
        try:
            return Farm(portals, seed, night, chosen, host=host, faults=faults, families=families)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None

    def ready(listening) -> None:
        if write_portals is not None:
            write_portals.mkdir(parents=True, exist_ok=True)
            for name, text in listening.farm.portal_configs().items():
                (write_portals / name).write_text(text, encoding="utf-8")
        click.echo(listening.ready_line())
        click.get_text_stream("stdout").flush()

    try:
        serve_farm(build, port, on_ready=ready, latency=latency)
    except OSError as exc:
        raise click.ClickException(str(exc)) from None


@sim.command()
@farm_options
@click.option("--port", type=click.IntRange(1, 65535), default=8800, show_default=True,
              help="Port the farm is (or would be) served on; it is part of every URL.")
def manifest(portals: int, seed: int, night: int, host: str, faults: tuple[str, ...], families: tuple[str, ...],
             port: int) -> None:
    """Print the farm's ground truth for this night as JSON."""
    from crawler.sim.farm import Farm

    try:
        farm = Farm(portals, seed, night, port, host=host, faults=faults, families=families)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(json.dumps(farm.manifest(), ensure_ascii=False, indent=1))
