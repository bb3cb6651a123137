"""`crawler demo`, the README's first command: offline, from an empty directory, twice."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, func, select

from storage.models import Document
from tests.crawl.conftest import CRAWLER


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_harvests_into_the_default_archive_and_is_idempotent(tmp_path: Path) -> None:
    command = [CRAWLER, "demo", "--portals", "3", "--port", str(_free_port())]
    env = {"PATH": str(Path(CRAWLER).parent), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert first.returncode == 0, first.stderr[-3000:]
    for hint in ("crawler search", "crawler show", "crawler coverage"):
        assert hint in first.stdout
    archive = tmp_path / "data" / "archive.db"
    assert archive.exists()
    engine = create_engine(f"sqlite:///{archive}")
    with engine.connect() as connection:
        documents = connection.scalar(select(func.count()).select_from(Document))
    assert documents > 0

    second = subprocess.run([*command, "--json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert second.returncode == 0, second.stderr[-3000:]
    summary = json.loads(second.stdout)
    assert summary["new_documents"] == 0 and summary["new_versions"] == 0
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Document)) == documents
