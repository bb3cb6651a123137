"""The daemon behind ``crawler schedule run``: one APScheduler BlockingScheduler per archive.

Its life, in order: take the archive's leader lock (or refuse, or stand by), migrate the
archive, bring the job table in step with the portal configs, run jobs until SIGTERM or
SIGINT, then stop cleanly: no new job, children terminated and their runs recorded as
interrupted, the scheduler shut down, the lock released.

The daemon never imports Twisted or Scrapy: harvests are child processes (see
:mod:`scheduler.child`), so a crash or a hang in one never reaches it.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from crawler.portals import load_portals
from scheduler.child import DEFAULT_KILL_GRACE, Children
from scheduler.config import ScheduleConfig
from scheduler.harvest import Harvester, HarvestOptions, bind, default_child_command
from scheduler.history import JobRuns
from scheduler.jobs import (
    DEFAULT_MISFIRE_GRACE,
    DEFAULT_NIGHTLY_CRON,
    TIMEZONE,
    desired_jobs,
    job_portal,
    job_settings,
    job_table,
    make_jobstore,
    sync_jobs,
)
from scheduler.lock import acquire_or_wait, leader_lock
from storage.archive import Archive
from storage.db import default_url, describe, make_engine

logger = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT = 4 * 3600.0  # a night's crawl of every portal must end before the working day
DEFAULT_POLL = 15.0  # how often the daemon re-reads the job table and checks its lock
DEFAULT_WORKERS = 4  # jobs at once (each a crawl process that itself crawls many portals)


@dataclass(frozen=True, slots=True)
class DaemonOptions:
    """Everything ``crawler schedule run`` can set."""

    portals_dir: Path
    db_url: str | None = None
    nightly_cron: str = DEFAULT_NIGHTLY_CRON
    trigger_every: float | None = None
    time_limit: float = DEFAULT_TIME_LIMIT
    kill_grace: float = DEFAULT_KILL_GRACE
    misfire_grace: int = DEFAULT_MISFIRE_GRACE
    poll: float = DEFAULT_POLL
    workers: int = DEFAULT_WORKERS
    standby: bool = False
    child_command: tuple[str, ...] | None = None
    config: ScheduleConfig = field(default_factory=ScheduleConfig)  # the [schedule] table of --config


class _Scheduler(BlockingScheduler):
    """A BlockingScheduler that no longer looks at the job table once it is shut down.

    APScheduler 3's loop, woken by ``shutdown()``, runs one more round over the due jobs:
    they are then not run (the executors are down) but their next run time advances, so a
    daemon stopped at 02:30 would lose that night's harvest instead of catching it up
    when it starts again.
    """

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


class Daemon:
    """One scheduler on one archive; :meth:`run` blocks until it is stopped and returns the exit code."""

    def __init__(self, options: DaemonOptions) -> None:
        self.options = options
        self.url = options.db_url or default_url()
        self.engine = make_engine(self.url)
        self.database = describe(self.engine.url)
        self.lock = leader_lock(self.engine)
        self.children = Children(options.kill_grace)
        self.stop_requested = threading.Event()
        self.exit_code = 0
        self.scheduler: _Scheduler | None = None
        self._scheduler_lock = threading.Lock()

    def run(self) -> int:
        previous = {signum: signal.signal(signum, self._on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
        try:
            if not acquire_or_wait(self.lock, standby=self.options.standby, stop=self.stop_requested,
                                   poll=self.options.poll, database=self.database):
                logger.info("stopped while standing by")
                return 0
            logger.info("scheduler lock taken on %s", self.database)
            return self._serve()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.lock.release()
            self.engine.dispose()

    def request_stop(self, reason: str, exit_code: int = 0) -> None:
        """Stop the daemon from any thread: no new job, then the shutdown in :meth:`_serve`."""
        if self.stop_requested.is_set():
            return
        logger.info("stopping: %s", reason)
        self.exit_code = exit_code
        self.stop_requested.set()
        # shutdown() takes the scheduler's locks, which the main thread may hold while it
        # looks at the job table; from its own thread it simply waits for them.
        threading.Thread(target=self._shutdown_scheduler, name="scheduler-stop", daemon=True).start()

    def _serve(self) -> int:
        archive = Archive(self.engine)
        archive.upgrade()
        runs = JobRuns(archive)
        runs.close_abandoned()
        runs.settle_seeded()
        portals, errors = load_portals(self.options.portals_dir)
        for error in errors:
            logger.error("portal config skipped: %s", error)
        with job_table(self.engine) as table:
            report = sync_jobs(
                table,
                desired_jobs(portals, nightly_cron=self.options.nightly_cron, every=self.options.trigger_every),
                # An invalid file is still a portal: a typo must not delete its job for good.
                {p.name for p in portals} | {error.path.stem for error in errors},
                misfire_grace=self.options.misfire_grace,
            )
        logger.info("jobs: added %s, replaced %s, kept %s, removed %s",
                    report.added or "-", report.replaced or "-", report.kept or "-", report.removed or "-")

        scheduler = _Scheduler(
            jobstores={"default": make_jobstore(self.engine), "internal": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(self.options.workers), "internal": ThreadPoolExecutor(1)},
            job_defaults=job_settings(self.options.misfire_grace),
            timezone=TIMEZONE,
        )
        harvester = Harvester(
            HarvestOptions(
                db_url=self.engine.url.render_as_string(hide_password=False),
                portals_dir=self.options.portals_dir.resolve(),
                time_limit=self.options.time_limit,
                child_command=self.options.child_command or default_child_command(),
                config=self.options.config,
            ),
            runs,
            self.children,
            own_jobs=lambda: {p for job in scheduler.get_jobs(jobstore="default") if (p := job_portal(job.id))},
        )
        # The watch wakes the scheduler every poll seconds, so jobs edited by the CLI in the
        # table (run-now, add, resume) are seen, and stops it if its lock was lost.
        scheduler.add_job(self._watch, IntervalTrigger(seconds=self.options.poll), id="watch",
                          jobstore="internal", executor="internal")
        # The watch runs every poll seconds; its log lines would drown the harvests' ones.
        logging.getLogger("apscheduler.executors.internal").setLevel(logging.WARNING)
        bind(harvester)
        with self._scheduler_lock:
            self.scheduler = scheduler
        try:
            if not self.stop_requested.is_set():
                logger.info("scheduler running on %s (portals %s, timezone %s, mode %s)", self.database,
                            self.options.portals_dir, TIMEZONE, self.options.config.mode)
                scheduler.start()
        finally:
            # The scheduler is shut down (its own thread did it); now end the running harvests.
            self.children.stop_all()
            if not harvester.wait_idle(timeout=self.options.kill_grace + 30):
                logger.error("some harvests did not record their end in time; their runs may stay 'running'")
            bind(None)
        logger.info("scheduler stopped")
        return self.exit_code

    def _watch(self) -> None:
        if self.stop_requested.is_set():
            # A signal that came while the scheduler was starting found nothing to shut down.
            self._shutdown_scheduler()
        elif not self.lock.is_held():
            self.request_stop(f"lost the scheduler lock on {self.database}", exit_code=1)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.request_stop(f"received {signal.Signals(signum).name}")

    def _shutdown_scheduler(self) -> None:
        with self._scheduler_lock:
            scheduler = self.scheduler
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
