"""A crawl run kept in Redis, shared by every worker that joins it.

Keys, all under ``PREFIX:run:ID`` (ID is the archive's run id of the whole crawl)::

    PREFIX:current                  the id of the run workers join (absent: no run)
    ...:meta         hash           archive run, phases, clock (as_of), command, seeded, status
    ...:portals      hash           portal name -> its config (JSON): every worker crawls the same configs
    ...:phase:N      list           portals of phase N not taken yet (county portals first, see run.phases)
    ...:active       hash           portal -> {worker, phase, archive_run}: taken, not finished
    ...:lease:NAME   string, PX     the worker crawling NAME; renewed by its heartbeat, gone when it dies
    ...:done         hash           portal -> its summary (JSON)
    ...:workers      hash           worker id -> {host, pid, portals, pages, heartbeat}
    ...:NAME:requests, :dupefilter  the portal's frontier: scrapy-redis's queue and seen-set

Politeness across workers comes from the lease: one worker at a time crawls a portal, so the
portal's own ``[politeness]`` (delay, per-domain concurrency) applies exactly as in one process.
A worker that dies stops renewing its leases; once one expires another worker takes the portal
over and crawls it again from its start URLs (the scheduler flushes the frontier on start, so
the requests the dead worker had popped are not lost behind a stale seen-set). The archive makes
that safe: a page already archived is recorded as unchanged, never as a second version.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

from crawler.portals import Portal
from crawler.run import phases

logger = logging.getLogger(__name__)

PREFIX = "crawler"
DEFAULT_LEASE_TTL = 60.0
# How long a finished run's summaries stay in Redis (the archive keeps them for good): a day.
KEEP_FINISHED = 24 * 3600

# Pop a portal of one phase and record who took it, in one step: a worker dying between the
# pop and the record would otherwise lose the portal. KEYS: phase list, active hash;
# ARGV: lease key prefix, worker id, lease ms, the active record (JSON).
_CLAIM = """
local name = redis.call('LPOP', KEYS[1])
if not name then return false end
redis.call('HSET', KEYS[2], name, ARGV[4])
redis.call('SET', ARGV[1] .. name, ARGV[2], 'PX', ARGV[3])
return name
"""
# Extend a lease only if this worker still holds it.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class RunInProgress(RuntimeError):
    """A run is already current in Redis: a second seeding would crawl every portal twice."""


@dataclass(frozen=True, slots=True)
class Claim:
    """A portal a worker took: ``takeover`` when its previous worker died (its lease expired)."""

    name: str
    phase: int
    takeover: bool = False
    lost_run: int | None = None  # the dead worker's archive run of this portal, to close as "lost"


class RunState:
    """One run in Redis, seen from a worker (or from ``crawler status``)."""

    def __init__(self, client: redis.Redis, run_id: int, prefix: str = PREFIX) -> None:
        self.client = client
        self.run_id = run_id
        self.prefix = prefix
        self.base = f"{prefix}:run:{run_id}"
        self._claim = client.register_script(_CLAIM)
        self._renew = client.register_script(_RENEW)

    # -- creating and finding runs ----------------------------------------------------------

    @classmethod
    def seed(
        cls,
        client: redis.Redis,
        run_id: int,
        portals: Iterable[Portal],
        *,
        as_of: str | None = None,
        command: str | None = None,
        prefix: str = PREFIX,
    ) -> RunState:
        """Put a run's portals, by phase, into Redis and make it the current run.

        Raises :class:`RunInProgress` when another run is current (not finished yet).
        """
        state = cls(client, run_id, prefix)
        grouped = phases(list(portals))
        pipe = client.pipeline(transaction=True)
        pipe.hset(state.key("meta"), mapping={
            "archive_run": run_id,
            "phases": len(grouped),
            "seeded": sum(len(g) for g in grouped),
            "as_of": as_of or "",
            "command": command or "",
            "created": _now(),
            "status": "running",
        })
        for number, group in enumerate(grouped):
            pipe.hset(state.key("portals"), mapping={p.name: p.model_dump_json() for p in group})
            pipe.rpush(state.key("phase", str(number)), *[p.name for p in group])
        pipe.execute()
        # Current only once complete: a worker must never see a run without its portals (it
        # would find nothing to do and close it).
        if not client.set(f"{prefix}:current", run_id, nx=True):
            client.delete(*client.scan_iter(f"{state.base}:*"))
            current = client.get(f"{prefix}:current")
            raise RunInProgress(
                f"run {current.decode() if current else '?'} is still in progress in Redis ({prefix}:current): "
                "`crawler worker` joins it; a new run can start when it has finished"
            )
        return state

    @classmethod
    def current(cls, client: redis.Redis, prefix: str = PREFIX) -> RunState | None:
        """The run workers join now, or None."""
        run_id = client.get(f"{prefix}:current")
        return cls(client, int(run_id), prefix) if run_id else None

    def key(self, *parts: str) -> str:
        return ":".join((self.base, *parts))

    def meta(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.client.hgetall(self.key("meta")).items()}

    def scrapy_settings(self, redis_url: str) -> dict[str, Any]:
        """The Scrapy settings that put each portal's frontier of this run in Redis (scrapy-redis).

        The frontier is flushed when a portal's crawl starts, and cleared when it closes: a portal
        is crawled by one worker at a time, so a start is either the first or a takeover, and a
        takeover must not inherit a seen-set holding the requests its dead worker never finished.
        """
        return {
            "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "REDIS_URL": redis_url,
            "SCHEDULER_QUEUE_KEY": f"{self.base}:%(spider)s:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{self.base}:%(spider)s:dupefilter",
            "SCHEDULER_PERSIST": False,
            "SCHEDULER_FLUSH_ON_START": True,
        }

    # -- taking and finishing portals --------------------------------------------------------

    def claim(self, worker: str, lease_ttl: float) -> Claim | None:
        """The next portal for ``worker``, or None (nothing left, or the next phase waits on this one).

        A portal whose worker died comes first. A phase is served only when every portal of the
        phases before it is finished: a city portal's copies of county reports must be fetched
        after the counties' own pages (see :func:`crawler.run.phases`).
        """
        active = self._active()
        for name, record in active.items():
            if self.client.exists(self.key("lease", name)):
                continue
            if claim := self._take_over(name, record, worker, lease_ttl):
                return claim
        started = [record["phase"] for record in active.values()]
        for number in range(int(self.client.hget(self.key("meta"), "phases") or 0)):
            if not self.client.llen(self.key("phase", str(number))):
                continue
            if any(phase < number for phase in started):
                return None
            record = json.dumps({"worker": worker, "phase": number, "archive_run": None})
            name = self._claim(keys=[self.key("phase", str(number)), self.key("active")],
                               args=[self.key("lease", ""), worker, int(lease_ttl * 1000), record])
            if name is not None:
                return Claim(name.decode(), number)
        return None

    def _take_over(self, name: str, record: dict[str, Any], worker: str, lease_ttl: float) -> Claim | None:
        if not self.client.set(self.key("lease", name), worker, nx=True, px=int(lease_ttl * 1000)):
            return None  # another worker was quicker
        # The lease was free: either its worker died, or it finished between our two reads
        # (finishing drops the active record and the lease in one transaction).
        if not self.client.hexists(self.key("active"), name):
            self.client.delete(self.key("lease", name))
            return None
        logger.warning("portal %s: worker %s stopped renewing its lease; %s takes it over", name, record["worker"], worker)
        self.client.hset(self.key("active"), name, json.dumps({**record, "worker": worker, "archive_run": None}))
        return Claim(name, record["phase"], takeover=True, lost_run=record.get("archive_run"))

    def portal(self, name: str) -> Portal:
        """The config the run was seeded with (pydantic's ValidationError if this version rejects it)."""
        return Portal.model_validate_json(self.client.hget(self.key("portals"), name))

    def started(self, name: str, worker: str, archive_run: int | None) -> None:
        """Note the archive run of this attempt, so a worker taking over can close it as lost."""
        raw = self.client.hget(self.key("active"), name)
        if raw is None:
            return
        record = json.loads(raw)
        if record["worker"] == worker:
            self.client.hset(self.key("active"), name, json.dumps({**record, "archive_run": archive_run}))

    def renew(self, name: str, worker: str, lease_ttl: float) -> bool:
        """Extend ``worker``'s lease on ``name``; False when it lost it (it stalled past the TTL)."""
        return bool(self._renew(keys=[self.key("lease", name)], args=[worker, int(lease_ttl * 1000)]))

    def finish(self, name: str, worker: str, summary: dict[str, Any]) -> bool:
        """Record a portal's summary and free it, if ``worker`` still holds it; True if recorded."""
        if not self._holds(name, worker):
            logger.warning("portal %s: %s lost its lease before finishing; its summary is left to the new holder", name, worker)
            return False
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.key("done"), name, json.dumps(summary, ensure_ascii=False))
        self._free(pipe, name)
        pipe.execute()
        return True

    def release(self, name: str, phase: int, worker: str) -> None:
        """Give back a portal a graceful stop interrupted: another worker crawls it (afresh)."""
        if not self._holds(name, worker):
            return
        pipe = self.client.pipeline(transaction=True)
        pipe.lpush(self.key("phase", str(phase)), name)
        self._free(pipe, name)
        pipe.execute()

    def _holds(self, name: str, worker: str) -> bool:
        lease = self.client.get(self.key("lease", name))
        return lease is not None and lease.decode() == worker

    def _free(self, pipe: redis.client.Pipeline, name: str) -> None:
        pipe.hdel(self.key("active"), name)
        pipe.delete(self.key("lease", name), self.key(name, "requests"), self.key(name, "dupefilter"))

    def _active(self) -> dict[str, dict[str, Any]]:
        return {k.decode(): json.loads(v) for k, v in self.client.hgetall(self.key("active")).items()}

    # -- the end of a run --------------------------------------------------------------------

    def finished(self) -> bool:
        """Every portal crawled: no phase holds a portal and none is being crawled."""
        count = int(self.client.hget(self.key("meta"), "phases") or 0)
        pending = sum(self.client.llen(self.key("phase", str(n))) for n in range(count))
        return not pending and not self.client.hlen(self.key("active"))

    def summaries(self) -> dict[str, dict[str, Any]]:
        """Every finished portal's summary, whichever worker crawled it."""
        return {k.decode(): json.loads(v) for k, v in sorted(self.client.hgetall(self.key("done")).items())}

    def close(self, worker: str) -> bool:
        """Mark the run finished and no longer current; True for the one worker that does it.

        Several workers see the end at once; the first to set ``closed_by`` writes the run's
        totals to the archive, the others just leave.
        """
        if not self.client.hsetnx(self.key("meta"), "closed_by", worker):
            return False
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.key("meta"), mapping={"status": "finished", "finished": _now()})
        pipe.delete(self.key("portals"))  # the configs served the workers; the archive has them
        for suffix in ("meta", "done", "workers"):
            pipe.expire(self.key(suffix), KEEP_FINISHED)
        pipe.execute()
        current = self.client.get(f"{self.prefix}:current")
        if current is not None and int(current) == self.run_id:
            self.client.delete(f"{self.prefix}:current")
        return True

    # -- workers -----------------------------------------------------------------------------

    def beat(self, worker: str, record: dict[str, Any]) -> None:
        """Publish what ``worker`` is doing, for ``crawler status``."""
        self.client.hset(self.key("workers"), worker, json.dumps({**record, "heartbeat": _now()}, ensure_ascii=False))

    def leave(self, worker: str) -> None:
        self.client.hdel(self.key("workers"), worker)

    def workers(self) -> dict[str, dict[str, Any]]:
        return {k.decode(): json.loads(v) for k, v in sorted(self.client.hgetall(self.key("workers")).items())}

    def progress(self) -> dict[str, Any]:
        """The run at a glance: its meta, portals waiting, being crawled and done, and its workers."""
        meta = self.meta()
        count = int(meta.get("phases") or 0)
        return {
            "run_id": self.run_id,
            "status": meta.get("status"),
            "created": meta.get("created"),
            "seeded": int(meta.get("seeded") or 0),
            "waiting": sum(self.client.llen(self.key("phase", str(n))) for n in range(count)),
            "crawling": sorted(self._active()),
            "done": self.client.hlen(self.key("done")),
            "workers": self.workers(),
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
