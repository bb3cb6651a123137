"""``crawler schedule run | list | add | remove | pause | resume | run-now``: the nightly harvest daemon.

Exit codes of ``run``: 0 stopped by SIGTERM/SIGINT (or stopped while standing by); 1 an
error (archive unusable, scheduler lock lost); 3 another scheduler is already active on the
archive (without ``--standby``). See docs/operations.md (The nightly scheduler) for running it under systemd.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from crawler.cli.options import db_option, json_option, portals_dir_option
from scheduler.child import DEFAULT_KILL_GRACE
from scheduler.daemon import DEFAULT_POLL, DEFAULT_TIME_LIMIT, DEFAULT_WORKERS
from scheduler.jobs import DEFAULT_MISFIRE_GRACE, DEFAULT_NIGHTLY_CRON

EXIT_SCHEDULER_ACTIVE = 3


@click.group("schedule")
def schedule() -> None:
    """Run the nightly harvest daemon, and list or edit its jobs.

    Jobs live in the archive database (table apscheduler_jobs): `nightly` harvests every
    portal without a job of its own; `portal:NAME` harvests one portal on its own cron.
    """


@schedule.command("run")
@db_option
@portals_dir_option
@click.option("--standby", is_flag=True, help="If another scheduler is active on the archive, wait and take over when it stops.")
@click.option("--nightly", "nightly_cron", default=DEFAULT_NIGHTLY_CRON, show_default=True, metavar="CRON",
              help="Cron (Asia/Shanghai) of the nightly job.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=DEFAULT_TIME_LIMIT, show_default=True, metavar="SECONDS",
              help="A harvest running longer is killed (its process group) and recorded as timeout.")
@click.option("--kill-grace", type=click.FloatRange(min=0), default=DEFAULT_KILL_GRACE, show_default=True, metavar="SECONDS",
              help="Seconds between SIGTERM and SIGKILL when a harvest is stopped.")
@click.option("--misfire-grace", type=click.IntRange(min=1), default=DEFAULT_MISFIRE_GRACE, show_default=True, metavar="SECONDS",
              help="A run missed (daemon down) by less than this still happens, once, when the daemon is back.")
@click.option("--trigger-every", type=click.FloatRange(min=0.1), envvar="CRAWLER_SCHEDULE_EVERY", default=None, metavar="SECONDS",
              help="Replace every cron by an interval of SECONDS (tests and demos). Env: CRAWLER_SCHEDULE_EVERY.")
@click.option("--poll", type=click.FloatRange(min=0.1), default=DEFAULT_POLL, show_default=True, metavar="SECONDS",
              help="How often the daemon re-reads the job table (edits by `crawler schedule`) and checks its lock.")
@click.option("--workers", type=click.IntRange(min=1), default=DEFAULT_WORKERS, show_default=True, help="Jobs running at once.")
@click.option("--child-command", envvar="CRAWLER_SCHEDULE_CHILD", default=None, hidden=True,
              help="Command run instead of `crawler crawl` (shell-quoted; for tests).")
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="INFO", show_default=True)
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              envvar="CRAWLER_SCHEDULE_CONFIG", metavar="FILE",
              help="TOML file with a [schedule] table: mode = \"local\" (default) or \"distributed\" "
              "(the nightly job seeds a run in Redis for `crawler worker --forever`; docs/scale-out.md).")
def run(
    db_url: str | None,
    portals_dir: Path,
    standby: bool,
    nightly_cron: str,
    time_limit: float,
    kill_grace: float,
    misfire_grace: int,
    trigger_every: float | None,
    poll: float,
    workers: int,
    child_command: str | None,
    log_level: str,
    config_file: Path | None,
) -> None:
    """Start the scheduler daemon in the foreground (logs on stderr); stop it with SIGTERM or Ctrl-C.

    \b
    Examples:
      crawler schedule run --db postgresql+psycopg://crawler@db/archive
      crawler schedule run --standby          # a second host waiting to take over
      crawler schedule run --trigger-every 30 --time-limit 600   # try it out
    """
    from scheduler.config import ScheduleConfigError, load_schedule_config
    from scheduler.daemon import Daemon, DaemonOptions
    from scheduler.jobs import cron_trigger
    from scheduler.lock import SchedulerActive
    from storage.errors import ArchiveError

    try:
        cron_trigger(nightly_cron)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--nightly") from None
    if not portals_dir.is_dir():
        raise click.BadParameter(f"{portals_dir} is not a directory of portal TOML files", param_hint="--portals-dir")
    try:
        config = load_schedule_config(config_file)
    except ScheduleConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--config") from None
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    options = DaemonOptions(
        db_url=db_url,
        portals_dir=portals_dir,
        nightly_cron=nightly_cron,
        trigger_every=trigger_every,
        time_limit=time_limit,
        kill_grace=kill_grace,
        misfire_grace=misfire_grace,
        poll=poll,
        workers=workers,
        standby=standby,
        child_command=tuple(shlex.split(child_command)) if child_command else None,
        config=config,
    )
    try:
        code = Daemon(options).run()
    except SchedulerActive as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_SCHEDULER_ACTIVE)
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)


@contextmanager
def _jobs(db_url: str | None) -> Iterator[tuple[object, str]]:
    """The archive's job table (a paused scheduler on it) and the database's printable name."""
    from apscheduler.jobstores.base import JobLookupError

    from scheduler.jobs import job_table
    from storage.db import describe, make_engine
    from storage.errors import ArchiveError

    try:
        engine = make_engine(db_url)
        with job_table(engine) as table:
            yield table, describe(engine.url)
    except JobLookupError as exc:
        raise click.ClickException(f"{exc.args[0]}; `crawler schedule list` shows the jobs") from None
    except ArchiveError as exc:
        raise click.ClickException(str(exc)) from exc


def _active_holder(db_url: str | None) -> str | None:
    from scheduler.lock import leader_lock
    from storage.db import make_engine

    return leader_lock(make_engine(db_url)).probe()


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S %Z") if value else "paused"


@schedule.command("list")
@db_option
@json_option
def list_jobs(db_url: str | None, as_json: bool) -> None:
    """List the jobs: id, trigger, next run (Beijing time) or paused, and whether a daemon is active."""
    with _jobs(db_url) as (table, database):
        jobs = table.get_jobs()
    holder = _active_holder(db_url)
    rows = [
        {
            "id": job.id,
            "name": job.name,
            "trigger": str(job.trigger),
            "next_run_time": job.next_run_time.isoformat() if job.next_run_time else None,
            "paused": job.next_run_time is None,
        }
        for job in jobs
    ]
    if as_json:
        click.echo(json.dumps({"database": database, "active_scheduler": holder, "jobs": rows}, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"jobs on {database}")
    for column in ("id", "trigger", "next run", "name"):
        table.add_column(column)
    for job in jobs:
        table.add_row(job.id, str(job.trigger), _when(job.next_run_time), job.name)
    console = Console()
    console.print(table)
    console.print(f"active scheduler: {holder}" if holder else "[yellow]no scheduler is running on this archive[/]")


@schedule.command("add")
@click.argument("name")
@click.option("--cron", default=None, metavar="CRON", help="Cron (Asia/Shanghai); default: the portal's `schedule` key.")
@portals_dir_option
@db_option
def add(name: str, cron: str | None, portals_dir: Path, db_url: str | None) -> None:
    """Give portal NAME a job of its own (the nightly job then skips it).

    Example: crawler schedule add sim_trs_0001 --cron "0 4 * * *"
    """
    from crawler.portals import PortalConfigError, load_portal
    from scheduler.jobs import add_portal_job, cron_trigger, job_portal

    portal_name = job_portal(name) or name
    try:
        portal = load_portal(portals_dir / f"{portal_name}.toml")
    except PortalConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    expression = cron or portal.schedule
    if expression is None:
        raise click.UsageError(f"portal {portal_name} has no `schedule` key in its config: give --cron")
    try:
        trigger = cron_trigger(expression)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--cron") from None
    with _jobs(db_url) as (table, _):
        job = add_portal_job(table, portal_name, trigger)
        click.echo(f"{job.id}: {job.trigger}, next run {_when(job.next_run_time)}")


@schedule.command("remove")
@click.argument("name")
@db_option
def remove(name: str, db_url: str | None) -> None:
    """Remove job NAME (`nightly`, `portal:NAME` or a portal's NAME).

    The daemon puts back, at its next start, the nightly job and the jobs of portals whose
    config has a `schedule`; remove those from the config instead.
    """
    from scheduler.jobs import resolve_job_id

    job_id = resolve_job_id(name)
    with _jobs(db_url) as (table, _):
        table.remove_job(job_id)
    click.echo(f"{job_id}: removed")


@schedule.command("pause")
@click.argument("name")
@db_option
def pause(name: str, db_url: str | None) -> None:
    """Pause job NAME: it keeps its place in the table (across restarts) but does not run."""
    from scheduler.jobs import resolve_job_id

    job_id = resolve_job_id(name)
    with _jobs(db_url) as (table, _):
        table.pause_job(job_id)
    click.echo(f"{job_id}: paused")


@schedule.command("resume")
@click.argument("name")
@db_option
def resume(name: str, db_url: str | None) -> None:
    """Resume paused job NAME from its next scheduled time."""
    from scheduler.jobs import resolve_job_id

    job_id = resolve_job_id(name)
    with _jobs(db_url) as (table, _):
        job = table.resume_job(job_id)
        click.echo(f"{job_id}: resumed, next run {_when(job.next_run_time if job else None)}")


@schedule.command("run-now")
@click.argument("name")
@db_option
def run_now(name: str, db_url: str | None) -> None:
    """Make job NAME due now: the running daemon starts it within its --poll interval.

    Example: crawler schedule run-now nightly
    """
    from scheduler.jobs import resolve_job_id
    from scheduler.jobs import run_now as make_due

    job_id = resolve_job_id(name)
    with _jobs(db_url) as (table, database):
        try:
            make_due(table, job_id)
        except (LookupError, ValueError) as exc:
            raise click.ClickException(f"{exc} on {database}") from None
    if _active_holder(db_url):
        click.echo(f"{job_id}: due now; the scheduler will start it at its next look at the job table")
    else:
        click.echo(f"{job_id}: due now, but no scheduler is running on {database}: it runs when one starts "
                   "(within the misfire grace)")
