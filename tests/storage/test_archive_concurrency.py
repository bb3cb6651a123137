"""Two real processes recording at once, and a writer killed with SIGKILL, on both backends."""

from __future__ import annotations

import collections
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from storage.archive import Archive
from storage.models import Content, Document, DocumentUrl, Fetch, Version
from storage.records import Outcome
from tests.storage import workers
from tests.storage.builders import report, report_text

ROOT = Path(__file__).resolve().parents[2]


def scalar(engine: Engine, statement) -> int:
    with engine.connect() as connection:
        return connection.execute(statement).scalar_one()


@pytest.mark.parametrize("batch", [1, 7], ids=["record", "record_many"])
def test_two_processes_recording_at_once_lose_nothing_and_duplicate_nothing(db_url: str, engine: Engine, batch: int) -> None:
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    processes = [context.Process(target=workers.hammer, args=(db_url, w, barrier, results, batch)) for w in (0, 1)]
    for process in processes:
        process.start()
    answers = [answer for _ in processes for answer in results.get(timeout=120)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    outcomes = collections.defaultdict(list)
    for url, outcome, document_id in answers:
        outcomes[url].append((outcome, document_id))
    rounds = workers.ROUNDS
    # The same page recorded by both: one document, seen once as new and once as unchanged.
    for i in range(rounds):
        pair = outcomes[f"http://127.1.0.1/shared/{i}.html"]
        assert sorted(o for o, _ in pair) == [Outcome.NEW_DOCUMENT.value, Outcome.UNCHANGED.value]
        assert len({d for _, d in pair}) == 1
    # The same text at two mirrors at the same moment: one document with both URLs.
    for i in range(rounds):
        (first, doc_a), = outcomes[f"http://127.1.0.2/mirror/{i}.html"]
        (second, doc_b), = outcomes[f"http://127.1.0.3/mirror/{i}.html"]
        assert doc_a == doc_b and sorted([first, second]) == [Outcome.DUPLICATE.value, Outcome.NEW_DOCUMENT.value]
    # Each process's own edited pages: every edit is a version, numbered without gaps.
    own_docs = workers.OWN_DOCUMENTS * 2
    assert scalar(engine, select(func.count()).select_from(Document)) == 2 * rounds + own_docs
    assert scalar(engine, select(func.count()).select_from(DocumentUrl)) == 3 * rounds + own_docs
    assert scalar(engine, select(func.count()).select_from(Content)) == 2 * rounds + own_docs * workers.OWN_VERSIONS
    assert scalar(engine, select(func.count()).select_from(Version)) == 2 * rounds + own_docs * workers.OWN_VERSIONS
    with engine.connect() as connection:
        seqs = connection.execute(
            select(Version.document_id, func.count(), func.max(Version.seq), func.max(Document.latest_seq))
            .join(Document, Document.id == Version.document_id)
            .where(Version.url.like("%/own/%"))
            .group_by(Version.document_id)
        ).all()
    assert len(seqs) == own_docs
    assert all((n, top, latest) == (workers.OWN_VERSIONS,) * 3 for _, n, top, latest in seqs)
    assert scalar(engine, select(func.count()).select_from(Fetch)) == len(answers)


def test_writer_killed_mid_write_leaves_no_partial_version(db_url: str, engine: Engine) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.storage.workers", db_url],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout.readline().strip() == "recording"
        deadline = time.monotonic() + 60
        while scalar(engine, select(func.count()).select_from(Version)) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL

    with engine.connect() as connection:
        versions = scalar(engine, select(func.count()).select_from(Version))
        # Each record is one transaction that writes a fetch, a content, a document and its version.
        assert scalar(engine, select(func.count()).select_from(Fetch)) == versions
        assert scalar(engine, select(func.count()).select_from(Content)) == versions
        assert scalar(engine, select(func.count()).select_from(Document)) == versions
        orphans = connection.execute(
            select(func.count()).select_from(Document).where(~Document.id.in_(select(Version.document_id)))
        ).scalar_one()
        assert orphans == 0
    # The archive is usable at once: the killed writer's lock and journal are gone.
    result = Archive(engine).record(report("http://127.1.0.1/after-crash.html", report_text("恢复")))
    assert result.outcome is Outcome.NEW_DOCUMENT


def test_batches_taking_the_same_pages_in_opposite_orders_both_complete(db_url: str, engine: Engine) -> None:
    # Each batch locks its first page and then waits for the other's: on PostgreSQL a deadlock,
    # which the database breaks by aborting one batch, and the archive retries that batch.
    pages = ["http://127.1.0.1/order/甲.html", "http://127.1.0.1/order/乙.html"]
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    processes = [
        context.Process(target=workers.record_in_order, args=(db_url, order, barrier, results))
        for order in (pages, pages[::-1])
    ]
    for process in processes:
        process.start()
    answers = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    outcomes = sorted(outcome for batch in answers for outcome, _ in batch)
    assert outcomes == sorted([Outcome.NEW_DOCUMENT.value, Outcome.UNCHANGED.value] * 2)
    assert scalar(engine, select(func.count()).select_from(Document)) == 2
    assert scalar(engine, select(func.count()).select_from(Version)) == 2
