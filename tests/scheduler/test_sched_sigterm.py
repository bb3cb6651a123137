"""SIGTERM during a harvest: the daemon exits 0, the run is recorded as interrupted, the child
is gone and the archive is consistent (every record is whole, no run left "running")."""

from __future__ import annotations

import signal
from pathlib import Path

from sqlalchemy import func, select, text

from storage.db import make_engine
from storage.models import Document, DocumentUrl, Run, Version
from tests.scheduler.daemon import job_runs, running_daemon, wait_until


def slow_down(config: Path, delay: float) -> None:
    """Make the portal's crawl take seconds (a delay between requests), so a signal lands mid-harvest."""
    source = config.read_text(encoding="utf-8")
    assert "[politeness]" not in source
    config.write_text(source + f"\n[politeness]\ndownload_delay = {delay}\nconcurrency = 1\n", encoding="utf-8")


def count(db_url: str, statement) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(statement)
    finally:
        engine.dispose()


def test_sigterm_during_a_harvest_leaves_the_archive_consistent(
    sqlite_url: str, portals_dir: Path, county: Path, tmp_path: Path
) -> None:
    slow_down(county, 0.4)
    documents = select(func.count()).select_from(Document)
    with running_daemon(sqlite_url, portals_dir, tmp_path, "--trigger-every", "1", "--kill-grace", "3") as daemon:
        wait_until(lambda: count(sqlite_url, documents) >= 1, daemon, timeout=60, what="the first archived report")
        assert daemon.stop(signal.SIGTERM) == 0
    log = daemon.log_text()
    assert "stopping: received SIGTERM" in log

    (run,) = job_runs(sqlite_url)
    assert (run.job, run.status) == ("nightly", "interrupted")
    assert run.error.startswith("stopped with the daemon")
    assert count(sqlite_url, select(func.count()).select_from(Run).where(Run.status == "running")) == 0

    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        # Every document has its latest version and its canonical URL: no half-written record.
        latest = select(func.count()).select_from(Document).join(
            Version, (Version.document_id == Document.id) & (Version.seq == Document.latest_seq)
        )
        with_url = select(func.count()).select_from(Document).join(DocumentUrl, DocumentUrl.url == Document.canonical_url)
        total = connection.scalar(documents)
        assert total >= 1
        assert connection.scalar(latest) == total
        assert connection.scalar(with_url) == total
    engine.dispose()
