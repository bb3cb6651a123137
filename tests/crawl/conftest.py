"""Helpers for the crawl tests: run the real ``crawler crawl`` command against a farm over HTTP.

Every crawl is a child process, as in production (one reactor per process, and a process can
be killed), writing a SQLite archive in the test's temporary directory.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from crawler.sim.farm import night_date

CRAWLER = str(Path(sys.executable).with_name("crawler"))
CRAWL_TIMEOUT = 240


def as_of(night: int) -> str:
    """The crawl clock of a farm night: 02:00 Beijing time on that night's date."""
    return f"{night_date(night).isoformat()}T02:00:00+08:00"


@dataclass
class Workspace:
    """A crawl's files: portal configs, archive, HTTP cache."""

    root: Path

    @property
    def portals_dir(self) -> Path:
        return self.root / "portals"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'archive.db'}"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    def engine(self) -> Engine:
        return create_engine(self.db_url)

    def crawl_command(self, *args: str, night: int | None = 0) -> list[str]:
        command = [CRAWLER, "crawl", "--portals-dir", str(self.portals_dir), "--db", self.db_url,
                   "--cache-dir", str(self.cache_dir), "--json", *args]
        if night is not None:
            command += ["--as-of", as_of(night)]
        return command

    def crawl(self, *args: str, night: int | None = 0) -> dict:
        """Run ``crawler crawl --json`` (``--all`` unless names are given) and return its summary."""
        args = args or ("--all",)
        result = subprocess.run(self.crawl_command(*args, night=night), capture_output=True, text=True,
                                timeout=CRAWL_TIMEOUT)
        assert result.returncode == 0, result.stderr[-4000:]
        return json.loads(result.stdout)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)
