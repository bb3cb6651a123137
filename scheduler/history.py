"""Run history: every job run of the scheduler, as rows of the archive's ``runs`` table.

A job run is a ``runs`` row whose ``command`` is ``schedule:<job id>``, written through
:class:`storage.archive.Archive` like any crawl run, so no table of the scheduler's own is
needed. Its ``stats`` keep what an operator asks the morning after: the job, the portals it
covered, the child's exit code, the error, and a compact copy of the crawl's summary.

The crawl inside the child writes its own runs (one per portal and one for the crawl). They
carry a marker naming the job run (``CRAWL_COMMAND``), so a child killed before it could
close them has its runs closed here with the job's status instead of staying "running".

A job run in mode ``distributed`` only seeds a run in Redis (its row carries the marker) and
the workers crawl it later, so the history reads each portal's result from the portal runs the
workers write while that run lasts, and a restarted daemon leaves the run to the workers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, select

from scheduler.child import ChildResult
from storage.archive import Archive, utc
from storage.db import translate_errors
from storage.models import Run

logger = logging.getLogger(__name__)

JOB_COMMAND_PREFIX = "schedule:"
CRAWL_MARKER_PREFIX = "crawler crawl [schedule:"

# How many of the latest job runs :meth:`JobRuns.settle_seeded` looks at (a seeded night is settled
# before the next one is seeded, so only the last few are ever unsettled).
SETTLE_WINDOW = 50

# The per-portal numbers of the crawl's summary that the run history keeps (the crawl's own
# per-portal runs hold the rest); a nightly run over 2,800 portals stays small this way.
PORTAL_KEYS: tuple[str, ...] = (
    "status", "candidates", "reports", "not_modified", "new_documents", "new_versions", "removed", "errors", "problems",
)


def job_command(job_id: str) -> str:
    return JOB_COMMAND_PREFIX + job_id


def crawl_marker(job_id: str, run_id: int) -> str:
    """The ``CRAWL_COMMAND`` a job run's crawl records in its own runs, to find them again."""
    return f"{CRAWL_MARKER_PREFIX}{job_id} run {run_id}]"


def compact_summary(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    """The crawl summary with its totals and only :data:`PORTAL_KEYS` per portal."""
    if summary is None:
        return None
    compact = {key: value for key, value in summary.items() if key != "per_portal"}
    per_portal = summary.get("per_portal")
    if isinstance(per_portal, dict):
        compact["per_portal"] = {
            name: {key: numbers[key] for key in PORTAL_KEYS if key in numbers}
            for name, numbers in per_portal.items()
            if isinstance(numbers, dict)
        }
    return compact


class JobRuns:
    """Opens and closes job runs in the archive."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive

    def start(self, job_id: str, portals: Sequence[str]) -> int:
        """Open a run for ``job_id``; ``portal`` is set when the job harvests exactly one portal."""
        return self.archive.start_run(portals[0] if len(portals) == 1 else None, command=job_command(job_id))

    def finish(self, run_id: int, job_id: str, portals: Sequence[str], argv: Sequence[str], result: ChildResult) -> None:
        """Close the run with the child's outcome; on any end but ``ok``, close the crawl's own open runs too."""
        if result.status != "ok":
            self.close_crawl_runs(crawl_marker(job_id, run_id), result.status)
        stats = {
            "job": job_id,
            "portals": list(portals),
            "command": " ".join(argv),
            "exit_code": result.exit_code,
            "error": result.error,
            "duration": round(result.duration, 3),
            "summary": compact_summary(result.summary),
        }
        self.archive.finish_run(run_id, stats, str(result.status))

    def fail(self, run_id: int, job_id: str, portals: Sequence[str], error: str) -> None:
        """Close a run that never got a child (the daemon itself hit an error)."""
        self.archive.finish_run(run_id, {"job": job_id, "portals": list(portals), "exit_code": None, "error": error}, "failed")

    def close_abandoned(self) -> int:
        """Close the job runs (and their crawls' runs) that an earlier daemon left ``running``.

        Only the daemon holding the leader lock writes job runs, so when it starts, a job run
        still ``running`` belongs to a daemon that was killed or a machine that rebooted
        mid-harvest; it is recorded as ``interrupted`` instead of staying open for ever, with
        the crawl runs of that job run. A crawl run whose job run has ended is left alone: it
        belongs to a distributed run that workers are still crawling (a local crawl's runs
        are closed by the crawl, or by :meth:`finish` when it failed).
        """
        statement = select(Run.id, Run.command).where(
            Run.status == "running", Run.command.startswith(JOB_COMMAND_PREFIX, autoescape=True)
        )
        with translate_errors(self.archive.engine), self.archive.engine.connect() as connection:
            abandoned = connection.execute(statement).all()
        closed = 0
        for run in abandoned:
            job = run.command[len(JOB_COMMAND_PREFIX):]
            closed += self.close_crawl_runs(crawl_marker(job, run.id), "interrupted") + 1
            stats = {"closed_by": "scheduler", "job": job, "error": "the daemon ended without recording the end of this run"}
            self.archive.finish_run(run.id, stats, "interrupted")
        if abandoned:
            logger.warning("closed %d run(s) left running by an earlier daemon as interrupted", closed)
        return closed

    def settle_seeded(self) -> int:
        """Store in each seeded job run whose distributed run has ended the per-portal results its
        workers wrote; returns how many were settled.

        Until then the history reads them from the portal runs of the run's span (one night of
        rows); after, a month of nights is read from the job runs alone, as in mode local.
        """
        statement = (
            select(Run.id, Run.command, Run.status, Run.finished_at, Run.stats)
            .where(Run.command.startswith(JOB_COMMAND_PREFIX, autoescape=True), Run.finished_at.is_not(None))
            .order_by(Run.id.desc())
            .limit(SETTLE_WINDOW)
        )
        with translate_errors(self.archive.engine), self.archive.engine.connect() as connection:
            unsettled = [row for row in connection.execute(statement) if _unsettled(row.stats)]
            crawled = _distributed_results(connection, unsettled)
        settled = 0
        for row in unsettled:
            result = crawled[row.id]
            if result["crawl_status"] in (None, "running"):
                continue
            stats = {**row.stats, "summary": {**row.stats["summary"], **result}}
            self.archive.finish_run(row.id, stats, row.status, finished_at=row.finished_at)
            settled += 1
        return settled

    def close_crawl_runs(self, marker: str, status: str) -> int:
        """Close the runs a killed crawl left ``running``; returns how many."""
        statement = select(Run.id).where(Run.command == marker, Run.status == "running")
        with translate_errors(self.archive.engine), self.archive.engine.connect() as connection:
            orphans = connection.scalars(statement).all()
        for run_id in orphans:
            self.archive.finish_run(run_id, {"closed_by": "scheduler", "reason": f"the crawl's process ended: {status}"}, status)
        if orphans:
            logger.info("closed %d run(s) of %s left open by its crawl: %s", len(orphans), marker, status)
        return len(orphans)


@dataclass(frozen=True, slots=True)
class JobRun:
    """One finished job run as the history reads it back."""

    id: int
    job: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    portals: tuple[str, ...]
    exit_code: int | None
    error: str | None
    summary: dict[str, Any] | None


def recent_job_runs(archive: Archive, limit: int) -> list[JobRun]:
    """The last ``limit`` finished job runs, oldest first."""
    statement = (
        select(Run.id, Run.command, Run.status, Run.started_at, Run.finished_at, Run.portal, Run.stats)
        .where(Run.command.startswith(JOB_COMMAND_PREFIX, autoescape=True), Run.finished_at.is_not(None))
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(limit)
    )
    with translate_errors(archive.engine), archive.engine.connect() as connection:
        rows = connection.execute(statement).all()
        crawled = _distributed_results(connection, [row for row in rows if _unsettled(row.stats)])
    runs = []
    for run in reversed(rows):
        stats = run.stats or {}
        if run.id in crawled:
            stats = {**stats, "summary": {**stats["summary"], **crawled[run.id]}}
        runs.append(
            JobRun(
                id=run.id,
                job=run.command[len(JOB_COMMAND_PREFIX):],
                status=run.status,
                started_at=utc(run.started_at),
                finished_at=utc(run.finished_at) if run.finished_at else None,
                portals=tuple(stats.get("portals") or ([run.portal] if run.portal else [])),
                exit_code=stats.get("exit_code"),
                error=stats.get("error"),
                summary=stats.get("summary"),
            )
        )
    return runs


def _unsettled(stats: dict[str, Any] | None) -> bool:
    """Whether a job run only seeded a distributed run (its crawl printed ``seeded``, not portals)
    and holds no per-portal results yet (:meth:`JobRuns.settle_seeded`)."""
    summary = (stats or {}).get("summary")
    return isinstance(summary, dict) and "seeded" in summary and "per_portal" not in summary


def _distributed_results(connection: Connection, seeding: Sequence[Row]) -> dict[int, dict[str, Any]]:
    """What the workers recorded of each seeded run so far, by job run id.

    ``crawl_status`` is the status of the distributed run's own row (the seeding wrote it under
    the job's marker; ``running`` until the last worker closes it). ``per_portal`` holds, for
    each portal of the job, the summary (:data:`PORTAL_KEYS`) of its latest run that ended
    other than ``lost`` (a dead worker's attempt, crawled again by another). Workers record
    their portal runs under the command that seeded the run (crawler/scaleout/worker.py), so
    the job's marker ties them to it, as it ties a local crawl's.
    """
    markers = {crawl_marker(row.command[len(JOB_COMMAND_PREFIX):], row.id): row for row in seeding}
    if not markers:
        return {}
    results: dict[int, dict[str, Any]] = {row.id: {"crawl_status": None, "per_portal": {}} for row in seeding}
    portals = {row.id: set((row.stats or {}).get("portals") or ()) for row in seeding}
    statement = select(Run.command, Run.portal, Run.status, Run.stats).where(Run.command.in_(list(markers))).order_by(Run.id)
    for run in connection.execute(statement):
        job = markers[run.command].id
        if run.portal is None:
            results[job]["crawl_status"] = run.status
        elif run.portal in portals[job] and run.status not in ("running", "lost"):
            results[job]["per_portal"][run.portal] = {key: run.stats[key] for key in PORTAL_KEYS if key in (run.stats or {})}
    return results
