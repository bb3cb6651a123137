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


def hammer(db_url: str, worker: int, barrier: Barrier, results: Queue, batch: int = 1) -> None:
    """Record shared pages, mirrors and this worker's own edited pages, interleaved, as fast as possible.

    ``batch`` > 1: the same pages in that order through ``Archive.record_many``, ``batch`` per transaction.
    """
    archive = Archive(make_engine(db_url))
    at = dt.datetime(2024, 3, 20, tzinfo=dt.UTC)
    records = []
    for i in range(ROUNDS):
        records.append(report(f"http://127.1.0.1/shared/{i}.html", report_text(f"共享{i}"), at=at))
        records.append(report(f"http://127.1.0.{worker + 2}/mirror/{i}.html", report_text(f"镜像{i}"), at=at))
        own = i % OWN_DOCUMENTS
        version = i // OWN_DOCUMENTS
        if version < OWN_VERSIONS:
            text = report_text(f"自有{worker}-{own}") + f"\n第{version}次修订。"
            records.append(report(f"http://127.1.0.{worker + 2}/own/{own}.html", text, at=at))
    barrier.wait()
    answers = []
    for start in range(0, len(records), batch):
        chunk = records[start : start + batch]
        chunk_results = [archive.record(chunk[0])] if batch == 1 else archive.record_many(chunk)
        answers.extend((record.url, result.outcome.value, result.document_id) for record, result in zip(chunk, chunk_results))
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


def record_in_order(db_url: str, urls: list[str], barrier: Barrier, results: Queue) -> None:
    """Record the pages at ``urls`` (large texts, slow to index) as one batch, in the order given."""
    archive = Archive(make_engine(db_url))
    records = [report(url, report_text(url.rsplit("/", 1)[-1], paragraphs=400)) for url in urls]
    barrier.wait()
    results.put([(result.outcome.value, result.document_id) for result in archive.record_many(records)])
