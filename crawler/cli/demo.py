"""``crawler demo``: the README's first command — serve the farm, harvest it, show what to try next.

It needs nothing but this package: the farm of simulated county portals is served by a
``crawler sim serve`` child process on loopback, its portal configs go to a temporary
directory, and the harvest is the real ``crawler crawl`` machinery writing the real archive.
Running it again is harmless: the farm listens on the same port, so the same URLs come back
as 304s and unchanged documents.
"""

from __future__ import annotations

import json
import shlex
import tempfile
from pathlib import Path

import click
from rich.console import Console

from crawler.cli.options import db_option
from crawler.sim.process import FarmProcess, FarmStartError, start_farm_process


def start_farm(portals: int, seed: int, port: int, portals_dir: Path) -> FarmProcess:
    """Start the farm with its portal configs written to ``portals_dir``; a failure is a ``click.ClickException``."""
    try:
        return start_farm_process(["--portals", str(portals), "--seed", str(seed), "--port", str(port),
                                   "--write-portals", str(portals_dir)])
    except FarmStartError as error:
        raise click.ClickException(str(error)) from error


@click.command()
@click.option("--portals", type=click.IntRange(1, 200), default=12, show_default=True,
              help="County portals in the farm (city portals that mirror them come on top).")
@click.option("--seed", type=int, default=1, show_default=True, help="Farm seed: same seed, same portals.")
@click.option("--port", type=click.IntRange(0, 65535), default=8800, show_default=True,
              help="Farm port (0: any free one; a fixed port makes re-runs see the same URLs).")
@db_option
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data/httpcache"),
              show_default=True, help="HTTP cache of list pages.")
@click.option("--json", "as_json", is_flag=True, help="Print the crawl summary as JSON instead of the tables.")
def demo(portals: int, seed: int, port: int, db_url: str | None, cache_dir: Path, as_json: bool) -> None:
    """Serve a simulated farm of county portals on loopback and harvest it into the archive.

    Works offline on a fresh machine; the archive is ./data/archive.db unless --db says otherwise.
    """
    from crawler.cli.crawl import BarProgress, print_summary
    from crawler.run import crawl_settings, run_portals, select_portals
    from storage.db import default_url

    err = Console(stderr=True)
    out = Console()
    with tempfile.TemporaryDirectory(prefix="fazhi-demo-") as tmp:
        portals_dir = Path(tmp) / "portals"
        try:
            farm = start_farm(portals, seed, port, portals_dir)
        except click.ClickException:
            if port == 0:
                raise
            err.print(f"[yellow]port {port} is busy; serving the farm on a free port instead[/]")
            farm = start_farm(portals, seed, 0, portals_dir)
        try:
            err.print(f"[green]{farm.ready_line.split(', http', 1)[0]}[/]")
            settings = crawl_settings(db_url=db_url, portals_dir=portals_dir, cache_dir=cache_dir, log_level="ERROR")
            chosen, _, loader = select_portals(settings, all_portals=True)
            if err.is_terminal and not as_json:
                with BarProgress(err, len(chosen)) as bar:
                    result = run_portals(chosen, settings, loader=loader, progress=bar)
            else:
                result = run_portals(chosen, settings, loader=loader)
        finally:
            farm.stop()
    summary = result.to_dict()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    print_summary(out, summary)
    db = f" --db {shlex.quote(db_url)}" if db_url else ""
    out.print(f"\narchive: {db_url or default_url()}")
    out.print("[bold]try next:[/]")
    out.print(f"  crawler search 复议{db}       # full-text search of the archived reports")
    out.print(f"  crawler show 1{db}            # one report: metadata, text and versions")
    out.print(f"  crawler coverage{db}          # which counties have a report for which year")
