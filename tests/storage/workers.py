"""Code run in child processes by the concurrency and crash tests (importable by spawn)."""

from __future__ import annotations

import datetime as dt
import sys
from multiprocessing.synchronize import Barrier
from queue import Queue

from storage.archive import Archive
from storage.db import make_engine
from tests.storage.builders import report, report_text

ROUNDS = 24
OWN_DOCUMENTS = 4
OWN_VERSIONS = 3


def hammer(db_url: str, worker: int, barrier: Barrier, results: Queue) -> None:
    """Record shared pages, mirrors and this worker's own edited pages, interleaved, as fast as possible."""
    archive = Archive(make_engine(db_url))
    at = dt.datetime(2024, 3, 20, tzinfo=dt.UTC)
    answers = []
    barrier.wait()
    for i in range(ROUNDS):
        shared = report(f"http://127.1.0.1/shared/{i}.html", report_text(f"共享{i}"), at=at)
        mirror = report(f"http://127.1.0.{worker + 2}/mirror/{i}.html", report_text(f"镜像{i}"), at=at)
        for record in (shared, mirror):
            result = archive.record(record)
            answers.append((record.url, result.outcome.value, result.document_id))
        own = i % OWN_DOCUMENTS
        version = i // OWN_DOCUMENTS
        if version < OWN_VERSIONS:
            text = report_text(f"自有{worker}-{own}") + f"\n第{version}次修订。"
            record = report(f"http://127.1.0.{worker + 2}/own/{own}.html", text, at=at)
            result = archive.record(record)
            answers.append((record.url, result.outcome.value, result.document_id))
    results.put(answers)


def record_forever(db_url: str) -> None:
    """Record new documents with large texts until killed; prints one line after the first commit."""
    archive = Archive(make_engine(db_url))
    at = dt.datetime(2024, 3, 20, tzinfo=dt.UTC)
    for i in range(1_000_000):
        text = report_text(f"批量{i}", paragraphs=400)
        archive.record(report(f"http://127.1.0.1/batch/{i}.html", text, at=at))
        if i == 0:
            print("recording", flush=True)


if __name__ == "__main__":
    record_forever(sys.argv[1])
