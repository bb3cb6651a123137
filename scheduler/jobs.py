"""The scheduler's jobs: their ids, their triggers, keeping them in step with the portal configs.

Jobs live in APScheduler's ``apscheduler_jobs`` table in the archive database, so a restart
or a reboot keeps them, paused state included. The table holds each job's function as the
text ``scheduler.harvest:harvest`` and its one argument, the job id: nothing of the daemon's
process is pickled into it.

Ids are stable and readable: ``nightly`` harvests every portal that has no job of its own;
``portal:<name>`` harvests one portal on its own cron (its config's ``schedule``, or one
given to ``crawler schedule add``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from crawler.portals import Portal

logger = logging.getLogger(__name__)

TIMEZONE = ZoneInfo("Asia/Shanghai")  # county portals publish, and are quiet, on Beijing time
NIGHTLY = "nightly"
PORTAL_PREFIX = "portal:"
DEFAULT_NIGHTLY_CRON = "30 2 * * *"
DEFAULT_MISFIRE_GRACE = 6 * 3600  # a reboot at 02:00 that is back by 08:00 still runs the night's harvest
HARVEST_FUNC = "scheduler.harvest:harvest"
JOBS_TABLE = "apscheduler_jobs"


def portal_job_id(portal: str) -> str:
    return PORTAL_PREFIX + portal


def job_portal(job_id: str) -> str | None:
    """The portal a ``portal:<name>`` job harvests; None for the nightly job."""
    return job_id[len(PORTAL_PREFIX):] if job_id.startswith(PORTAL_PREFIX) else None


def resolve_job_id(name: str) -> str:
    """A job id from what an operator types: ``nightly``, ``portal:NAME`` or just the portal's ``NAME``."""
    return name if name == NIGHTLY or name.startswith(PORTAL_PREFIX) else portal_job_id(name)


def cron_trigger(expression: str) -> CronTrigger:
    """A 5-field crontab expression on Beijing time; ValueError naming the expression when it is not one."""
    try:
        return CronTrigger.from_crontab(expression, timezone=TIMEZONE)
    except ValueError as exc:
        raise ValueError(f"{expression!r} is not a valid 5-field cron expression: {exc}") from None


def make_trigger(cron: str, every: float | None) -> BaseTrigger:
    """``cron``, unless ``every`` seconds is given: the fast trigger tests and demos use instead of cron."""
    if every is not None:
        return IntervalTrigger(seconds=every, timezone=TIMEZONE)
    return cron_trigger(cron)


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job as the configs want it: id, trigger and a name for listings."""

    id: str
    trigger: BaseTrigger
    name: str


def desired_jobs(portals: Iterable[Portal], *, nightly_cron: str, every: float | None = None) -> list[JobSpec]:
    """The nightly job and one job per portal whose config has a ``schedule``."""
    specs = [JobSpec(NIGHTLY, make_trigger(nightly_cron, every), "every portal without a job of its own")]
    for portal in portals:
        if portal.schedule:
            specs.append(JobSpec(portal_job_id(portal.name), make_trigger(portal.schedule, every), f"portal {portal.name}"))
    return specs


@dataclass
class SyncReport:
    """What :func:`sync_jobs` changed, for the daemon's start-up log."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def job_settings(misfire_grace: int = DEFAULT_MISFIRE_GRACE) -> dict[str, object]:
    """How every job runs: never two at once, missed runs coalesced into one, run late within the grace.

    APScheduler stores these in each job when it is added, so they are given on every add
    (and brought up to date by :func:`sync_jobs`) rather than only as the daemon's defaults.
    """
    return {"max_instances": 1, "coalesce": True, "misfire_grace_time": misfire_grace}


def sync_jobs(
    scheduler: BaseScheduler, specs: Iterable[JobSpec], known_portals: set[str], *, misfire_grace: int = DEFAULT_MISFIRE_GRACE
) -> SyncReport:
    """Bring the job table in step with the configs, keeping what an operator decided.

    * A job whose trigger is unchanged is left alone, with its next run time: a daemon
      restarted after a missed 02:30 still runs the missed harvest (within the misfire grace).
    * A job whose trigger changed is replaced; a paused job stays paused.
    * A ``portal:`` job whose portal no longer has a config file is removed (an invalid file
      keeps its job: the portal is skipped until the file is fixed). Jobs added with
      ``crawler schedule add`` for portals without a ``schedule`` key are kept.
    * Every job gets :func:`job_settings` with this daemon's misfire grace.
    """
    report = SyncReport()
    settings = job_settings(misfire_grace)
    for spec in specs:
        existing = scheduler.get_job(spec.id)
        if existing is not None and str(existing.trigger) == str(spec.trigger):
            report.kept.append(spec.id)
            continue
        paused = existing is not None and existing.next_run_time is None
        scheduler.add_job(HARVEST_FUNC, spec.trigger, args=[spec.id], id=spec.id, name=spec.name,
                          replace_existing=True, **settings)
        if paused:
            scheduler.pause_job(spec.id)
        (report.replaced if existing is not None else report.added).append(spec.id)
    for job in scheduler.get_jobs():
        portal = job_portal(job.id)
        if portal is not None and portal not in known_portals:
            scheduler.remove_job(job.id)
            report.removed.append(job.id)
        elif any(getattr(job, key) != value for key, value in settings.items()):
            scheduler.modify_job(job.id, **settings)  # keeps the next run time
    return report


def add_portal_job(scheduler: BaseScheduler, portal: str, trigger: BaseTrigger) -> Job:
    """Add (or replace) the job of one portal."""
    job_id = portal_job_id(portal)
    return scheduler.add_job(HARVEST_FUNC, trigger, args=[job_id], id=job_id, name=f"portal {portal}",
                             replace_existing=True, **job_settings())


def run_now(scheduler: BaseScheduler, job_id: str, now: dt.datetime | None = None) -> Job:
    """Make a job due now: the daemon starts it at its next look at the job table.

    A paused job is refused rather than silently resumed: pausing is an operator's decision.
    """
    job = scheduler.get_job(job_id)
    if job is None:
        raise LookupError(f"no job {job_id!r}")
    if job.next_run_time is None:
        raise ValueError(f"job {job_id!r} is paused: resume it first (crawler schedule resume {job_id})")
    return scheduler.modify_job(job_id, next_run_time=now or dt.datetime.now(TIMEZONE))


def make_jobstore(engine: Engine) -> SQLAlchemyJobStore:
    return SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)


class JobTableEditor(BaseScheduler):
    """APScheduler's job API over the job table, without a loop that could run (or skip) jobs.

    A BackgroundScheduler started paused is the usual way to edit a persistent store, but
    its thread looks at the table once more when it shuts down: a job due at that moment
    (say one just made due by ``run-now``) would have its next run time advanced without
    running. This scheduler has no thread and no loop.
    """

    def wakeup(self) -> None:
        """Nothing to wake: the daemon sees edits at its next look at the table."""

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


@contextlib.contextmanager
def job_table(engine: Engine) -> Iterator[JobTableEditor]:
    """The job table of the archive behind ``engine``, to list and edit jobs (CLI, daemon start-up)."""
    scheduler = JobTableEditor(jobstores={"default": make_jobstore(engine)}, timezone=TIMEZONE)
    scheduler.start(paused=True)
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
