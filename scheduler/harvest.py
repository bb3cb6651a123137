"""The function every stored job calls, and what it does: one harvest in a child process.

The job table stores jobs by reference (``scheduler.harvest:harvest`` with the job id as
the one argument), so the settings of the running daemon (database, portals directory,
time limit) cannot travel with the job. The daemon binds a :class:`Harvester` holding them
when it starts (:func:`bind`); :func:`harvest` hands each job to it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from crawler.cli import crawler_command
from crawler.portals import load_portals
from scheduler.child import Children, ChildResult, Status
from scheduler.config import ScheduleConfig
from scheduler.history import JobRuns, crawl_marker
from scheduler.jobs import NIGHTLY, job_portal

logger = logging.getLogger(__name__)


def default_child_command() -> tuple[str, ...]:
    """``crawler crawl`` of this installation."""
    return (*crawler_command(), "crawl")


@dataclass(frozen=True, slots=True)
class HarvestOptions:
    """What every harvest of one daemon shares."""

    db_url: str
    portals_dir: Path
    time_limit: float
    child_command: tuple[str, ...]
    config: ScheduleConfig = field(default_factory=ScheduleConfig)

    def distributed(self, job_id: str) -> bool:
        """Whether ``job_id`` only seeds a run in Redis for the workers (the nightly job in mode distributed)."""
        return job_id == NIGHTLY and self.config.mode == "distributed"


class Harvester:
    """Runs jobs: works out their portals, opens a job run, runs the crawl child, records how it ended."""

    def __init__(self, options: HarvestOptions, runs: JobRuns, children: Children, own_jobs: Callable[[], set[str]]) -> None:
        self.options = options
        self.runs = runs
        self.children = children
        self.own_jobs = own_jobs  # portal names that have a job of their own (the nightly job skips them)
        self._active = 0
        self._idle = threading.Condition()

    def run(self, job_id: str) -> str:
        """Harvest the portals of ``job_id``; returns the run's status (or ``skipped``)."""
        with self._busy():
            portal = job_portal(job_id)
            try:
                portals, everything = self.portals_for(job_id)
            except LookupError as exc:
                run_id = self.runs.start(job_id, [portal] if portal else [])
                self.runs.fail(run_id, job_id, [portal] if portal else [], str(exc))
                logger.error("%s: %s", job_id, exc)
                return str(Status.FAILED)
            if not portals:
                logger.info("%s: no portal to harvest (every portal has a job of its own)", job_id)
                return "skipped"
            if self.options.distributed(job_id):
                self.runs.settle_seeded()  # the night before, crawled by the workers since it was seeded
            run_id = self.runs.start(job_id, portals)
            argv = self.argv(job_id, run_id, portals, everything=everything)
            try:
                result = self.children.run(argv, self.options.time_limit, env=self.env(job_id))
            except OSError as exc:
                result = ChildResult(Status.FAILED, None, None, f"could not start {argv[0]}: {exc}", 0.0)
            self.runs.finish(run_id, job_id, portals, argv, result)
            log = logger.info if result.status == Status.OK else logger.error
            log("%s: run %d %s%s", job_id, run_id, result.status, f" ({result.error})" if result.error else "")
            return str(result.status)

    def portals_for(self, job_id: str) -> tuple[list[str], bool]:
        """The portal names a job harvests, and whether that is every valid portal (``--all``).

        Read at each run, so a portal added to the directory is harvested the next night
        without restarting the daemon.
        """
        portals, errors = load_portals(self.options.portals_dir)
        names = [p.name for p in portals]
        portal = job_portal(job_id)
        if portal is not None:
            if portal not in names:
                reasons = [str(e) for e in errors if e.path.stem == portal] or [f"no {portal}.toml in {self.options.portals_dir}"]
                raise LookupError(f"no valid config for portal {portal}: {'; '.join(reasons)}")
            return [portal], False
        own = self.own_jobs()
        chosen = [name for name in names if name not in own]
        return chosen, len(chosen) == len(names)

    def argv(self, job_id: str, run_id: int, portals: list[str], *, everything: bool) -> list[str]:
        """The child's command line; the database URL goes by environment so no password shows in ``ps``."""
        return [
            *self.options.child_command,
            *(["--all"] if everything else portals),
            "--portals-dir", str(self.options.portals_dir),
            "--json",
            "--set", f"CRAWL_COMMAND={crawl_marker(job_id, run_id)}",
            *(["--seed-only", "--redis-prefix", self.options.config.redis_prefix] if self.options.distributed(job_id) else []),
        ]

    def env(self, job_id: str) -> dict[str, str]:
        """The child's environment: the database (and Redis) URLs, kept out of ``ps``."""
        env = {**os.environ, "CRAWLER_DB_URL": self.options.db_url}
        if self.options.distributed(job_id):
            env["CRAWLER_REDIS_URL"] = self.options.config.redis or ""
        return env

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job is running (each has recorded its run); ``False`` on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout=timeout)

    @contextlib.contextmanager
    def _busy(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()


_harvester: Harvester | None = None


def bind(harvester: Harvester | None) -> None:
    """Make ``harvester`` run the jobs of this process (the daemon calls this once at start)."""
    global _harvester
    _harvester = harvester


def harvest(job_id: str) -> str:
    """The function every stored job names: run job ``job_id`` in this daemon."""
    if _harvester is None:
        raise RuntimeError(f"job {job_id}: scheduler.harvest.harvest runs only inside `crawler schedule run`")
    return _harvester.run(job_id)
