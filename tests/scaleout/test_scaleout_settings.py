"""Without `--redis`, scale-out is still a change of settings: scrapy-redis scheduling and duplicate filtering,
a PostgreSQL archive. Nights 0 and 2 of the farm are crawled that way and must come out as on
SQLite (night 1, nothing changed, is covered on SQLite by test_nights)."""

from __future__ import annotations

import json
import secrets
import subprocess

import pytest
import redis
from sqlalchemy import create_engine, select

from storage.models import Document
from tests.crawl.conftest import Workspace
from tests.crawl.evaluate import score
from tests.farm import running_farm
from tests.scaleout.conftest import REDIS_URL


@pytest.mark.postgres
@pytest.mark.redis
def test_nights_with_scrapy_redis_and_postgresql(workspace: Workspace, postgres_url: str) -> None:
    prefix = f"fztest-{secrets.token_hex(4)}"
    settings = (
        "--set", "SCHEDULER=scrapy_redis.scheduler.Scheduler",
        "--set", "DUPEFILTER_CLASS=scrapy_redis.dupefilter.RFPDupeFilter",
        "--set", f"REDIS_URL={REDIS_URL}",
        "--set", f"SCHEDULER_QUEUE_KEY={prefix}:%(spider)s:requests",
        "--set", f"SCHEDULER_DUPEFILTER_KEY={prefix}:%(spider)s:dupefilter",
    )
    engine = create_engine(postgres_url)
    port = 0
    summaries: dict[int, dict] = {}
    try:
        for night in (0, 2):
            with running_farm(portals=4, seed=5, night=night, port=port) as farm:
                port = farm.port
                farm.write_portals(workspace.portals_dir)
                command = workspace.crawl_command("--all", *settings, night=night)
                command[command.index("--db") + 1] = postgres_url
                summaries[night] = _run(command)
                result = score(engine, farm.manifest())
                assert result.recall >= 0.99 and result.precision >= 0.99, (night, result.missing, result.extra)
                manifest = farm.manifest()
        assert summaries[2]["new_versions"] > 0 and summaries[2]["not_modified"] > 0
        with engine.connect() as connection:
            removed = set(connection.scalars(select(Document.canonical_url).where(Document.status == "removed")))
        assert removed == {r["url"] for r in manifest["removed"]}
        # Scheduler state lived in Redis, and was cleared when each portal's crawl closed.
        assert not redis.Redis.from_url(REDIS_URL).keys(f"{prefix}:*")
    finally:
        engine.dispose()


def _run(command: list[str]) -> dict:
    result = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)
