"""``crawler status [--json] [--check]``: each portal's health from the scheduler's run history.

Exit codes: 0 nothing flagged (or flags shown without ``--check``); 1 an error (archive
unusable); 4 ``--check`` and a portal flagged or no job run for ``--max-age`` hours, for
ops alerting.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crawler.cli.options import db_option, json_option, portals_dir_option, redis_option, redis_prefix_option
from scheduler.health import DEFAULT_FAILURES, DEFAULT_MAX_AGE, DEFAULT_WINDOW, PortalHealth

EXIT_FLAGGED = 4


@click.command("status")
@db_option
@portals_dir_option
@json_option
@click.option("--check", is_flag=True,
              help=f"Exit with code {EXIT_FLAGGED} when a portal is flagged or no job ran for --max-age hours (for alerting).")
@click.option("--failures", type=click.IntRange(min=1), default=DEFAULT_FAILURES, show_default=True, metavar="N",
              help="Flag a portal as failing after N failed runs in a row.")
@click.option("--window", type=click.IntRange(min=1), default=DEFAULT_WINDOW, show_default=True, metavar="RUNS",
              help="How many recent job runs to read.")
@click.option("--max-age", type=click.FloatRange(min=0), default=DEFAULT_MAX_AGE, show_default=True, metavar="HOURS",
              help="Report the scheduler as down when no job run started in the last HOURS.")
@click.option("--flagged", "only_flagged", is_flag=True, help="Show only the flagged portals.")
@redis_option
@redis_prefix_option
def status(
    db_url: str | None,
    portals_dir: Path,
    as_json: bool,
    check: bool,
    failures: int,
    window: int,
    max_age: float,
    only_flagged: bool,
    redis_url: str | None,
    redis_prefix: str,
) -> None:
    """Per portal: last success, last failure and its error, failure streak, reports found vs usual.

    Flags: failing (N failures in a row), empty (nothing found where there used to be
    reports), blocked (anti-bot challenge or soft 404s in the last run). Above the portals:
    whether any job ran in the last --max-age hours (a dead daemon flags no portal).
    With --redis: the distributed run in progress, its workers and what each is crawling.

    \b
    Examples:
      crawler status
      crawler status --check --failures 2     # in a cron job or a monitoring check
      crawler status --json --flagged
      crawler status --redis redis://queue:6379/0   # also the running distributed run's workers
    """
    from crawler.portals import load_portals
    from scheduler.health import portal_health, scheduler_problems
    from scheduler.history import recent_job_runs
    from storage.archive import Archive
    from storage.db import describe, make_engine
    from storage.errors import ArchiveError

    portals, _ = load_portals(portals_dir)
    try:
        engine = make_engine(db_url)
        archive = Archive(engine)
        archive.check_schema()
        runs = recent_job_runs(archive, window)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    health = portal_health(runs, (p.name for p in portals), failures=failures)
    problems = scheduler_problems(runs, dt.datetime.now(dt.UTC), max_age)
    flagged = [h for h in health if h.flags]
    shown = flagged if only_flagged else health
    distributed = _distributed(redis_url, redis_prefix) if redis_url else None
    if as_json:
        payload = {
            "database": describe(engine.url),
            "job_runs": len(runs),
            "last_job_run": runs[-1].started_at.isoformat() if runs else None,
            "problems": problems,
            "flagged": len(flagged),
            "portals": [h.to_dict() for h in shown],
        }
        if redis_url:
            payload["distributed"] = distributed
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        console = Console()
        _print(console, describe(engine.url), shown, len(runs), len(flagged))
        for problem in problems:
            console.print(f"[red]scheduler:[/] {escape(problem)}")
        if redis_url:
            _print_distributed(console, distributed)
    if check and (flagged or problems):
        sys.exit(EXIT_FLAGGED)


def _distributed(redis_url: str, prefix: str) -> dict | None:
    """The current distributed run (see crawler.scaleout.runstate.RunState.progress), or None."""
    import redis

    from crawler.scaleout.runstate import RunState

    try:
        state = RunState.current(redis.Redis.from_url(redis_url), prefix)
        return state.progress() if state else None
    except redis.RedisError as exc:
        raise click.ClickException(f"Redis at {redis_url}: {exc}") from exc


def _print_distributed(console: Console, run: dict | None) -> None:
    if run is None:
        console.print("no distributed run in progress")
        return
    console.print(f"distributed run {run['run_id']} (since {run['created']}): {run['done']} of {run['seeded']} portals done, "
                  f"{len(run['crawling'])} crawling, {run['waiting']} waiting")
    table = Table(title=f"{len(run['workers'])} worker(s)")
    for column in ("worker", "crawling (pages)", "pages", "portals done", "heartbeat"):
        table.add_column(column, overflow="fold")
    for worker, record in run["workers"].items():
        crawling = ", ".join(f"{name} ({pages})" for name, pages in sorted(record["portals"].items()))
        table.add_row(Text(worker), Text(crawling or "-"), str(record["pages"]), str(record["finished"]), record["heartbeat"])
    console.print(table)


def _when(value: dt.datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def _print(console: Console, database: str, health: list[PortalHealth], runs: int, flagged: int) -> None:
    table = Table(title=escape(f"portal status on {database} ({runs} job runs read)"))
    for column in ("portal", "last run", "last success", "last failure", "streak", "found / usual", "flags"):
        table.add_column(column, overflow="fold")
    for item in health:
        found = "-" if item.found_last is None else str(item.found_last)
        usual = "-" if item.usual is None else f"{item.usual:g}"
        failure = Text(_when(item.last_failure))
        if item.last_error:
            failure.append(f"\n{item.last_error[:200]}", style="dim")
        flags = ", ".join(item.flags)
        table.add_row(
            Text(item.portal),
            f"{_when(item.last_run)} {item.last_status or 'never'}",
            _when(item.last_success),
            failure,
            str(item.failure_streak),
            f"{found} / {usual}",
            f"[red]{flags}[/]" if flags else "",
        )
    console.print(table)
    console.print(f"[red]{flagged} portal(s) flagged[/]" if flagged else "[green]nothing flagged[/]")
