"""``crawler crawl``: harvest portals into the archive, many at once in one process.

Exit codes: 0 the crawl ran (portal problems such as "blocked" are reported in the summary,
not as failures); 1 a fatal error (the archive cannot be opened, the crawl machinery failed);
2 a usage error (no portal named, an unknown or invalid portal named). A crawl stopped by
Ctrl-C or SIGTERM exits 0 too, with ``"stopped": true`` in its summary: what it harvested is
archived, and running it again finishes it.
"""

from __future__ import annotations

import atexit
import gc
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from crawler import run
from crawler.cli.options import db_option, json_option, portals_dir_option, lease_ttl_option, redis_option, redis_prefix_option
from crawler.items import ReportPage

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from crawler.portals import Portal
    from crawler.scaleout.worker import WorkerOptions
    from crawler.spiderloader import PortalSpiderLoader


class BarProgress(run.Progress):
    """The crawl's progress bar on stderr: portals done, pages fetched, reports found."""

    def __init__(self, console: Console, total: int) -> None:
        self.bar = Progress(
            TextColumn("[bold]crawl"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("portals · {task.fields[pages]} pages · {task.fields[reports]} reports · {task.fields[mb]:.1f} MB"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task = self.bar.add_task("crawl", total=total, pages=0, reports=0, mb=0.0)
        self.pages = self.reports = self.bytes = 0

    def __enter__(self) -> BarProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def page_fetched(self, name: str, size: int) -> None:
        self.pages += 1
        self.bytes += size
        if self.pages % 10 == 0:
            self._refresh()

    def item_scraped(self, name: str, item: Any) -> None:
        if isinstance(item, ReportPage):
            self.reports += 1

    def portal_finished(self, name: str, summary: dict[str, Any]) -> None:
        self.bar.advance(self.task)
        if summary["status"] not in ("ok", "degraded"):
            self.bar.console.print(f"[yellow]{escape(name)}: {summary['status']}[/] — {escape('; '.join(summary['problems']))}")
        self._refresh()

    def _refresh(self) -> None:
        self.bar.update(self.task, pages=self.pages, reports=self.reports, mb=self.bytes / 1e6)


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    """The human summary: totals, then the portals that need an operator's look."""
    table = Table(title="crawl summary", show_header=False)
    for key in ("portals", "pages_fetched", "report_fetches", "not_modified", "new_documents", "new_versions",
                "unchanged", "duplicates", "removed", "rejected", "errors"):
        table.add_row(key, str(summary[key]))
    table.add_row("bytes", f"{summary['bytes'] / 1e6:.1f} MB")
    console.print(table)
    troubled = {n: p for n, p in summary["per_portal"].items() if p["status"] not in ("ok", "empty")}
    empty = sorted(n for n, p in summary["per_portal"].items() if p["status"] == "empty")
    if troubled:
        issues = Table(title="portals needing a look")
        issues.add_column("portal")
        issues.add_column("status")
        issues.add_column("problems")
        for name, portal in sorted(troubled.items()):
            colour = "red" if portal["status"] in ("blocked", "broken", "failed") else "yellow"
            issues.add_row(Text(name), Text(portal["status"], style=colour), Text("\n".join(portal["problems"])))
        console.print(issues)
    if empty:
        console.print(f"{len(empty)} portal(s) list no report candidate yet: {escape(', '.join(empty))}")
    for error in summary["config_errors"]:
        console.print(f"[red]config error[/] {escape(error)}")
    if summary["stopped"]:
        console.print("[yellow]stopped before every portal was crawled[/] (Ctrl-C or SIGTERM): "
                      "run the same command again to finish (with --jobdir, interrupted portals resume)")


@click.command()
@click.argument("names", nargs=-1)
@click.option("--all", "all_portals", is_flag=True, help="Crawl every valid portal in the portals directory.")
@portals_dir_option
@db_option
@json_option
@click.option("--jobdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep each portal's request queue under DIR/NAME so an interrupted crawl resumes (Scrapy JOBDIR).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data/httpcache"),
              show_default=True, help="HTTP cache of list pages (revalidated every crawl; an unchanged list costs a 304).")
@click.option("--parallel", type=click.IntRange(1, 256), default=run.DEFAULT_PARALLEL, show_default=True,
              help="Portals crawled at the same time.")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default=None,
              help="Scrapy log level (default: WARNING with a progress bar or --json, else INFO).")
@click.option("--as-of", metavar="DATETIME", default=None,
              help="Run on this clock (ISO date-time, e.g. 2025-06-03T02:00+08:00) instead of now: "
              "replays a night of the simulated farm with the re-check policy on that night's time.")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, e.g. --set DOWNLOAD_DELAY=1 (repeatable).")
@redis_option
@redis_prefix_option
@lease_ttl_option
@click.option("--seed-only", is_flag=True,
              help="With --redis: put the run's portals in Redis and return; `crawler worker` processes crawl them.")
def crawl(
    names: tuple[str, ...],
    all_portals: bool,
    portals_dir: Path,
    db_url: str | None,
    as_json: bool,
    jobdir: Path | None,
    cache_dir: Path,
    parallel: int,
    log_level: str | None,
    as_of: str | None,
    overrides: tuple[str, ...],
    redis_url: str | None,
    redis_prefix: str,
    lease_ttl: float,
    seed_only: bool,
) -> None:
    """Harvest NAMES (or --all) into the archive, in one process (or, with --redis, with every worker that joins).

    With --redis the run's portals go to Redis, `crawler worker` processes on other machines
    join it, and this process crawls too until the run is done; the summary sums every worker's
    portals. The archive (--db) must be the PostgreSQL all workers share (docs/scale-out.md).

    \b
    Examples:
      crawler crawl --all
      crawler crawl sim_trs_0002 sim_hanweb_0000 --json
      crawler crawl --all --portals-dir /tmp/farm-portals --db sqlite:///tmp/a.db
      crawler crawl --all --redis redis://queue:6379/0 --db postgresql+psycopg://crawler@db/archive
    """
    if not names and not all_portals:
        raise click.UsageError("name at least one portal, or use --all")
    err = Console(stderr=True)
    interactive = err.is_terminal and not as_json
    settings = run.crawl_settings(
        db_url=db_url,
        portals_dir=portals_dir,
        jobdir=jobdir,
        cache_dir=cache_dir,
        log_level=log_level or ("WARNING" if interactive or as_json else "INFO"),
        as_of=_as_of(as_of),
        overrides=dict(_setting(o) for o in overrides),
    )
    try:
        portals, config_errors, loader = run.select_portals(settings, names, all_portals=all_portals)
    except KeyError as exc:
        raise click.UsageError(str(exc.args[0])) from None
    for error in config_errors:
        err.print(f"[red]skipped invalid portal config[/] {escape(str(error))}")
    if not portals:
        raise click.UsageError(f"no valid portal to crawl in {portals_dir}")
    if seed_only and not redis_url:
        raise click.UsageError("--seed-only needs --redis URL (or CRAWLER_REDIS_URL)")
    _settle_garbage_collector(settings)
    if redis_url:
        if jobdir is not None:
            raise click.UsageError("--jobdir and --redis exclude each other: a distributed run's frontier is in Redis")
        if seed_only:
            run_id = _seed(err, portals, settings, redis_url, redis_prefix)
            seeded = {"seeded": len(portals), "run_id": run_id, "stopped": False,
                      "config_errors": [str(e) for e in config_errors]}
            click.echo(json.dumps(seeded) if as_json else f"run {run_id}: {len(portals)} portal(s) seeded for the workers")
            return
        from crawler.scaleout.worker import WorkerOptions  # Redis and the worker only for a distributed run

        result = _crawl_distributed(err, portals, settings, redis_url, WorkerOptions(parallel=parallel, lease_ttl=lease_ttl, prefix=redis_prefix))
    else:
        result = _crawl_local(err, portals, settings, loader, parallel, interactive)
    result.config_errors = [str(e) for e in config_errors]
    summary = result.to_dict()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_summary(Console(), summary)


def _settle_garbage_collector(settings: Settings) -> None:
    """Freeze the objects of a crawl process's code, and what is alive at its exit.

    Python's older garbage collections walk every object alive, the hundred thousand of the
    loaded modules (Scrapy, Twisted, pydantic …) included: 0.7 s of an unchanged
    night's 7.5 s went to collections. Frozen, the objects of the code (they live until the
    process exits) are not walked again: 0.5 s. The code is loaded first, the parts Scrapy
    imports only when it builds the first crawler included (:func:`crawler.run.load_components`).
    At exit, freezing what is still alive spares Python's last collections, which would only
    walk it (0.25 s). The collection thresholds stay Python's: collecting less often (every
    20,000 allocations) saved 0.2 s more but let finished portals' crawlers wait longer to be
    freed, and memory grew with the portals.
    """
    run.load_components(settings)
    gc.freeze()
    atexit.register(gc.freeze)


def _crawl_local(err: Console, portals: list[Portal], settings: Settings, loader: PortalSpiderLoader, parallel: int,
                 interactive: bool) -> run.CrawlResult:
    from storage.errors import ArchiveError

    try:
        if interactive:
            with BarProgress(err, len(portals)) as bar:
                result = run.run_portals(portals, settings, loader=loader, parallel=parallel, progress=bar)
        else:
            result = run.run_portals(portals, settings, loader=loader, parallel=parallel)
    except ArchiveError as exc:
        err.print(f"[red]archive error:[/] {escape(str(exc))}")
        sys.exit(1)
    return result


def _seed(err: Console, portals: list[Portal], settings: Settings, redis_url: str, prefix: str) -> int:
    from crawler.scaleout.distributed import seed_run

    with _distributed_errors(err):
        return seed_run(portals, settings, redis_url, prefix=prefix).run_id


def _crawl_distributed(err: Console, portals: list[Portal], settings: Settings, redis_url: str,
                       options: WorkerOptions) -> run.CrawlResult:
    from crawler.scaleout.distributed import crawl_distributed

    with _distributed_errors(err):
        return crawl_distributed(portals, settings, redis_url, options)


@contextmanager
def _distributed_errors(err: Console) -> Iterator[None]:
    """A run already in progress, Redis or the archive failing: a clear message and exit 1."""
    import redis

    from crawler.scaleout.runstate import RunInProgress
    from storage.errors import ArchiveError

    try:
        yield
    except RunInProgress as exc:
        raise click.ClickException(str(exc)) from None
    except (ArchiveError, redis.RedisError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(1)


def _setting(assignment: str) -> tuple[str, Any]:
    name, sep, value = assignment.partition("=")
    if not sep or not name:
        raise click.BadParameter(f"{assignment!r} is not NAME=VALUE", param_hint="--set")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


def _as_of(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date-time", param_hint="--as-of") from None
    return value
