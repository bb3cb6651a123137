"""``crawler worker --redis URL --db URL``: one more machine (or process) crawling a distributed run.

Exit codes: 0 the run is done (or there was none to join, or a graceful stop); 1 Redis or the
archive failed. See docs/scale-out.md for deployment.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from crawler import run
from crawler.cli.options import db_option, json_option, portals_dir_option, lease_ttl_option, redis_option, redis_prefix_option


@click.command("worker")
@redis_option
@redis_prefix_option
@db_option
@portals_dir_option
@json_option
@click.option("--forever", is_flag=True,
              help="After a run, wait for the next one (long-running workers of the scheduler's distributed mode).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("data/httpcache"),
              show_default=True, help="This machine's HTTP cache of list pages (saves bytes only).")
@click.option("--parallel", type=click.IntRange(1, 256), default=run.DEFAULT_PARALLEL, show_default=True,
              help="Portals this worker crawls at the same time.")
@lease_ttl_option
@click.option("--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="INFO", show_default=True)
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, e.g. --set DOWNLOAD_TIMEOUT=60 (repeatable).")
def worker(
    redis_url: str | None,
    redis_prefix: str,
    db_url: str | None,
    portals_dir: Path,
    as_json: bool,
    forever: bool,
    cache_dir: Path,
    parallel: int,
    lease_ttl: float,
    log_level: str,
    overrides: tuple[str, ...],
) -> None:
    """Take portals from the run in Redis and crawl them into the archive until the run is done.

    The run is started by `crawler crawl --all --redis URL` (or the scheduler in distributed
    mode); workers may join and leave at any time. The portal configs travel with the run;
    --portals-dir matters only for portal spiders written as code.

    \b
    Examples:
      crawler worker --redis redis://queue:6379/0 --db postgresql+psycopg://crawler@db/archive
      crawler worker --forever        # with CRAWLER_REDIS_URL and CRAWLER_DB_URL set
    """
    import redis

    from crawler.cli.crawl import _setting
    from crawler.scaleout.worker import Worker, WorkerOptions
    from storage.errors import ArchiveError

    if not redis_url:
        raise click.UsageError("--redis URL (or CRAWLER_REDIS_URL) is required: it names the run to join")
    settings = run.crawl_settings(db_url=db_url, portals_dir=portals_dir, cache_dir=cache_dir, log_level=log_level,
                                  overrides=dict(_setting(o) for o in overrides))
    options = WorkerOptions(parallel=parallel, lease_ttl=lease_ttl, forever=forever,
                            prefix=redis_prefix)
    err = Console(stderr=True)
    try:
        outcome = Worker(redis_url, settings, options).run()
    except (ArchiveError, redis.RedisError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(1)
    if outcome.error:
        err.print(f"[red]worker stopped:[/] {escape(outcome.error)}")
        sys.exit(1)
    if outcome.state is None:
        err.print("no run in progress in Redis: nothing to do (start one with `crawler crawl --all --redis URL`)")
    summary = {**outcome.crawled.to_dict(), "closed_run": outcome.closed_run}
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        err.print(f"worker crawled {summary['portals']} portal(s), {summary['pages_fetched']} pages"
                  + (f" of run {summary['run_id']}" if summary["run_id"] else ""))
