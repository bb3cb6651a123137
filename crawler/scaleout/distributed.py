"""Starting a distributed run, and crawling one from start to summary.

``crawler crawl --redis`` seeds a run (:func:`seed_run`) and works on it like any worker
(:func:`crawl_distributed`); the scheduler's nightly job in mode ``distributed`` only seeds,
leaving the work to long-running ``crawler worker --forever`` processes.
"""

from __future__ import annotations

import redis
from scrapy.settings import Settings

from crawler.extensions import crawl_now, open_archive
from crawler.portals import Portal
from crawler.run import CrawlResult
from crawler.scaleout.runstate import PREFIX, RunState
from crawler.scaleout.worker import Worker, WorkerOptions


def seed_run(portals: list[Portal], settings: Settings, redis_url: str, *, prefix: str = PREFIX) -> RunState:
    """Open the run in the archive (portal NULL, as for a local crawl) and put its portals in Redis.

    Raises :class:`~crawler.scaleout.runstate.RunInProgress` when a run is current already; the
    archive run opened for nothing is then closed as ``refused``.
    """
    from crawler.scaleout.runstate import RunInProgress

    archive = open_archive(settings.get("ARCHIVE_DB_URL"))
    run_id = archive.start_run(None, command=settings.get("CRAWL_COMMAND"), started_at=crawl_now(settings))
    try:
        return RunState.seed(redis.Redis.from_url(redis_url), run_id, portals, as_of=settings.get("CRAWL_AS_OF"),
                             command=settings.get("CRAWL_COMMAND"), prefix=prefix)
    except RunInProgress:
        archive.finish_run(run_id, {}, "refused", finished_at=crawl_now(settings))
        raise


def crawl_distributed(portals: list[Portal], settings: Settings, redis_url: str, options: WorkerOptions) -> CrawlResult:
    """Seed a run, crawl it as one of its workers, and return the whole run's summary (every worker's portals)."""
    state = seed_run(portals, settings, redis_url, prefix=options.prefix)
    outcome = Worker(redis_url, settings, options).run()
    result = CrawlResult(portals=state.summaries(), run_id=state.run_id)
    result.stopped = outcome.crawled.stopped or not state.finished()
    return result
