"""Portal health from the run history: what ``crawler status`` shows and ``--check`` alerts on.

Each job run says, for every portal it covered, whether the harvest of that portal worked
and how many report candidates its lists showed. From the recent runs, per portal:

* last success, last failure and its error, the failure streak;
* ``found`` in the last run against the *usual* count: the median of the earlier successes.

Flags an operator must look at:

* ``failing``: the last N runs of the portal failed (N = ``failures``, default 3);
* ``empty``: the last run worked but found nothing where the portal usually lists reports
  (a redesign moved the column, or the portal was emptied);
* ``blocked``: the last run met an anti-bot challenge or pages that say "not found".

A run that ended because the daemon stopped (``interrupted``) says nothing about a portal,
so it counts neither as a success nor as a failure; nor does a portal of a distributed run
that the workers have not crawled yet (the job run only seeded it, scheduler/history.py).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from scheduler.history import JobRun

DEFAULT_FAILURES = 3  # failed runs in a row before a portal is flagged: one bad night is no alert
DEFAULT_WINDOW = 30  # job runs read back: a month of nights
DEFAULT_MAX_AGE = 36.0  # hours without a job run before the scheduler itself is suspect: a night plus slack

# Portal statuses of the crawl summary (crawler.extensions.portal_summary) that mean "harvested".
SUCCESS_STATUSES = frozenset({"ok", "degraded", "limited", "empty"})
BLOCKED_PROBLEMS = ("blocked", "soft_404")


@dataclass(frozen=True, slots=True)
class PortalOutcome:
    """One portal in one job run."""

    at: dt.datetime
    run_id: int
    ok: bool
    status: str
    found: int | None = None
    reports: int | None = None
    error: str | None = None
    problems: tuple[str, ...] = ()


@dataclass
class PortalHealth:
    """What ``crawler status`` says about one portal."""

    portal: str
    runs: int = 0
    last_run: dt.datetime | None = None
    last_status: str | None = None
    last_success: dt.datetime | None = None
    last_failure: dt.datetime | None = None
    last_error: str | None = None
    failure_streak: int = 0
    found_last: int | None = None
    usual: float | None = None
    problems: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "portal": self.portal,
            "runs": self.runs,
            "last_run": _iso(self.last_run),
            "last_status": self.last_status,
            "last_success": _iso(self.last_success),
            "last_failure": _iso(self.last_failure),
            "last_error": self.last_error,
            "failure_streak": self.failure_streak,
            "found_last": self.found_last,
            "usual": self.usual,
            "problems": self.problems,
            "flags": self.flags,
        }


def scheduler_problems(runs: list[JobRun], now: dt.datetime, max_age_hours: float = DEFAULT_MAX_AGE) -> list[str]:
    """What is wrong with the scheduler as a whole: no job run for too long means no daemon.

    Portal flags cannot say this: a dead daemon records nothing, so nothing gets flagged.
    """
    if not runs:
        return ["no job run recorded: is `crawler schedule run` running on this archive?"]
    last = runs[-1].started_at
    if now - last > dt.timedelta(hours=max_age_hours):
        return [f"no job run since {last.isoformat(timespec='seconds')}, more than {max_age_hours:g} h ago: "
                "is `crawler schedule run` running on this archive?"]
    return []


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def portal_outcomes(run: JobRun) -> dict[str, PortalOutcome]:
    """What one job run says about each portal it covered; nothing for an interrupted run."""
    if run.status == "interrupted":
        return {}
    at = run.finished_at or run.started_at
    if run.status != "ok":
        error = run.error or run.status
        return {name: PortalOutcome(at, run.id, False, run.status, error=error) for name in run.portals}
    summary = run.summary or {}
    per_portal = summary.get("per_portal") or {}
    # A seeding job run (mode distributed) whose run the workers are still crawling: a portal
    # they have not finished yet is neither a success nor a failure.
    crawling = "seeded" in summary and summary.get("crawl_status") == "running"
    outcomes = {}
    for name in run.portals:
        numbers = per_portal.get(name)
        if not isinstance(numbers, dict):
            if not crawling:
                outcomes[name] = PortalOutcome(at, run.id, False, "missing", error="not in the crawl's summary (invalid config?)")
            continue
        status = str(numbers.get("status", "unknown"))
        problems = tuple(numbers.get("problems") or ())
        ok = status in SUCCESS_STATUSES
        outcomes[name] = PortalOutcome(
            at,
            run.id,
            ok,
            status,
            found=_found(numbers),
            reports=numbers.get("reports"),
            error=None if ok else "; ".join(problems) or status,
            problems=problems,
        )
    return outcomes


def _found(numbers: dict[str, Any]) -> int | None:
    """Report candidates the portal's lists showed: stable from night to night, unlike new/unchanged
    counts (a cached list costs a 304 and re-counts nothing). Older summaries lack the key."""
    value = numbers.get("candidates", numbers.get("reports"))
    return int(value) if isinstance(value, int) else None


def portal_health(runs: Iterable[JobRun], portals: Iterable[str] = (), *, failures: int = DEFAULT_FAILURES) -> list[PortalHealth]:
    """Health of every portal named in ``runs`` (oldest first) or in ``portals``, sorted by name."""
    history: dict[str, list[PortalOutcome]] = {name: [] for name in portals}
    for run in runs:
        for name, outcome in portal_outcomes(run).items():
            history.setdefault(name, []).append(outcome)
    return [_health(name, outcomes, failures) for name, outcomes in sorted(history.items())]


def _health(portal: str, outcomes: list[PortalOutcome], failures: int) -> PortalHealth:
    health = PortalHealth(portal, runs=len(outcomes))
    if not outcomes:
        return health
    last = outcomes[-1]
    health.last_run, health.last_status, health.problems = last.at, last.status, list(last.problems)
    for outcome in reversed(outcomes):
        if outcome.ok:
            break
        health.failure_streak += 1
    successes = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok]
    if successes:
        health.last_success = successes[-1].at
    if failed:
        health.last_failure, health.last_error = failed[-1].at, failed[-1].error
    earlier = [o.found for o in successes if o is not last and o.found is not None]
    health.usual = statistics.median(earlier) if earlier else None
    health.found_last = last.found if last.ok else None

    if health.failure_streak >= failures:
        health.flags.append("failing")
    if last.ok and last.found == 0 and health.usual:
        health.flags.append("empty")
    if any(p.startswith(BLOCKED_PROBLEMS) for p in last.problems) or last.status == "blocked":
        health.flags.append("blocked")
    return health
