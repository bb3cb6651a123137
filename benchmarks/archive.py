"""Archive speed on SQLite and PostgreSQL in one run: ingest, search latency, cost of an unchanged page.

    .venv/bin/python benchmarks/archive.py [--versions 100000] [--batch 100] [--backends sqlite,postgresql]

For each backend a fresh archive is migrated, then:

1. ingest: ``--versions`` synthetic report versions (a quarter of the documents get several
   versions) through ``Archive.record_many``, ``--batch`` pages per transaction, and report
   rows/s; then ``--single`` more through ``Archive.record``, one transaction per page as
   the crawl writes, on the full archive;
2. search: ``--queries`` searches (two-character terms, longer phrases, with and without a
   region or year filter) through :func:`storage.query.search`, p50/p95 latency. Baseline: the
   same terms as ``LIKE '%term%'`` over the latest texts (what a database without our index
   does), with the speed-up;
3. unchanged: ``--unchanged`` pages re-recorded with the text they already have: SQL
   statements, writes and parameter bytes per page, and ms per page.

PostgreSQL: a scratch database is created through ``--pg-admin`` and dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from sqlalchemy import Engine, event, func, select, text  # noqa: E402

from crawler.regions import county_regions  # noqa: E402
from crawler.textnorm import content_hash  # noqa: E402
from storage import query  # noqa: E402
from storage.archive import Archive  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.models import Content, Document, Version  # noqa: E402
from storage.records import ReportRecord  # noqa: E402

PHRASES = (
    "深入学习贯彻习近平法治思想", "全面推进依法行政", "深化行政复议体制改革", "落实普法责任制", "推进严格规范公正文明执法",
    "加强行政规范性文件备案审查", "完善重大行政决策程序", "健全行政执法三项制度", "推行行政裁量权基准制度",
    "加强公共法律服务体系建设", "化解矛盾纠纷", "开展法治宣传教育", "加强政务公开", "优化法治化营商环境",
    "推进综合行政执法改革", "严格落实行政机关负责人出庭应诉", "加强行政调解工作", "建设法治政府示范县",
    "聘请政府法律顾问", "完善权力清单和责任清单", "提升基层治理法治化水平", "推进乡镇街道合法性审查全覆盖",
    "深化放管服改革", "规范涉企行政检查", "开展民法典宣传月活动", "加强人民调解员队伍建设", "推进智慧司法建设",
    "落实党政主要负责人履行推进法治建设第一责任人职责", "开展领导干部年终述法", "强化行政执法监督",
)
TERMS = ("复议", "普法", "调解", "执法", "备案审查", "法律顾问", "营商环境", "民法典", "出庭应诉", "述法", "裁量", "清单")


# Characters of concrete content (places, bodies, cases): what makes two counties' reports differ
# even though both are written in the same official phrases.
CONTENT_CHARS = "东西南北中山河湖镇乡村街社区局委办站所院队组户企业学校医院工地市场园区车船路桥水电气网"


def synthetic_text(rng: random.Random, document: int) -> list[str]:
    """A report-like text of ~25 paragraphs (~1,500 characters): shared official phrases, own facts.

    Unrelated reports come out about 0.3 similar (3-character shingles), as real ones do, so
    near-duplicate candidates are as rare as in a real archive.
    """
    def facts() -> str:
        return "".join(rng.choice(CONTENT_CHARS) for _ in range(rng.randint(6, 14)))

    return [
        f"{rng.choice(PHRASES)}，{facts()}{rng.randint(1, 900)}项，{rng.choice(PHRASES)}，{facts()}（第{document}号）。"
        for _ in range(25)
    ]


def ingest(archive: Archive, versions: int, seed: int, batch: int = 1, first: int = 0) -> tuple[float, int]:
    """Record ``versions`` synthetic versions of documents numbered from ``first``, ``batch`` pages per transaction."""
    rng = random.Random(seed)
    regions = county_regions()
    documents = versions * 4 // 5  # a quarter of the documents are edited: 1 in 5 records is a new version
    started = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    plan = [(first + d, 0) for d in range(documents)]
    plan += [(first + rng.randrange(documents), 1) for _ in range(versions - documents)]
    texts: dict[int, list[str]] = {}
    meta: dict[int, tuple[str, int]] = {}
    pending: list[ReportRecord] = []
    elapsed = 0.0  # in the archive only, not in making up the texts
    for step, (document, edit) in enumerate(plan):
        if edit:
            paragraphs = texts[document]
            paragraphs[rng.randrange(len(paragraphs))] = f"补充说明：{rng.choice(PHRASES)}{step}。"
        else:
            texts[document] = synthetic_text(rng, document)
            meta[document] = (rng.choice(regions).code, rng.randint(2019, 2024))
        body = "\n".join(texts[document])
        code, year = meta[document]
        pending.append(ReportRecord(
            portal=f"bench_{document % 200:03d}", url=f"http://127.2.{document // 60000}.{document % 250}/{document}.html",
            fetched_at=started + dt.timedelta(seconds=step), text=body, content_hash=content_hash(body),
            title=f"{year}年法治政府建设情况报告", report_year=year, region_code=code, region=code,
            kind="annual_rule_of_law_report",
        ))
        if len(pending) == batch or step == len(plan) - 1:
            t0 = time.perf_counter()
            if batch == 1:
                archive.record(pending[0])
            else:
                archive.record_many(pending)
            elapsed += time.perf_counter() - t0
            pending = []
    return elapsed, documents


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def search_latency(engine: Engine, queries: int, seed: int) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    codes = [r.code for r in county_regions()]
    ours, baseline = [], []
    # Every match must be read to rank them, as our search does; unranked, the scan is still the floor.
    like = text("SELECT document_id FROM latest_versions WHERE text LIKE :pattern")
    for i in range(queries):
        term = rng.choice(TERMS)
        filters = [{}, {"year": rng.randint(2019, 2024)}, {"region": rng.choice(codes)}][i % 3]
        t0 = time.perf_counter()
        query.search(engine, term, limit=20, **filters)
        ours.append(time.perf_counter() - t0)
        if i % 4 == 0:  # the scan is slow; a sample is enough for its median
            t0 = time.perf_counter()
            with engine.connect() as connection:
                connection.execute(like, {"pattern": f"%{term}%"}).all()
            baseline.append(time.perf_counter() - t0)
    return ours, baseline


def unchanged_cost(archive: Archive, pages: int) -> tuple[float, float, float, float]:
    """Re-record ``pages`` archived pages unchanged: statements, writes, parameter bytes, seconds per page."""
    engine = archive.engine
    with engine.connect() as connection:
        rows = connection.execute(
            select(Version.url, Version.content_hash, Content.text)
            .join(Content, Content.hash == Version.content_hash)
            .join(Document, (Document.id == Version.document_id) & (Document.latest_seq == Version.seq))
            .where(Version.url == Document.canonical_url)
            .order_by(func.random()).limit(pages)
        ).all()
    counts = {"statements": 0, "writes": 0, "bytes": 0}

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        counts["statements"] += 1
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            counts["writes"] += 1
            values = parameters.values() if isinstance(parameters, dict) else parameters or ()
            counts["bytes"] += sum(len(str(v).encode()) for v in values if v is not None)

    event.listen(engine, "before_cursor_execute", count)
    at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    t0 = time.perf_counter()
    for url, hash_, body in rows:
        archive.record(ReportRecord(portal=None, url=url, fetched_at=at, text=body, content_hash=hash_))
    elapsed = time.perf_counter() - t0
    event.remove(engine, "before_cursor_execute", count)
    n = len(rows)
    return counts["statements"] / n, counts["writes"] / n, counts["bytes"] / n, elapsed / n


def run_backend(name: str, url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url)
    archive = Archive(engine)
    archive.upgrade()
    elapsed, documents = ingest(archive, args.versions, args.seed, args.batch)
    if engine.dialect.name == "postgresql":
        # What autovacuum does on a production server (it is off on the test server): give the
        # planner statistics before measuring searches.
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    print(f"[{name}] ingest: {args.versions} versions of {documents} documents in {elapsed:.1f} s "
          f"= {args.versions / elapsed:,.0f} versions/s ({args.batch} per transaction)")
    if args.single:
        # The crawl's path: Archive.record, one durable transaction per page, on the full archive.
        single, _ = ingest(archive, args.single, args.seed + 1, first=documents)
        print(f"[{name}] ingest one page per transaction: {args.single} versions in {single:.1f} s "
              f"= {args.single / single:,.0f} versions/s")
    ours, baseline = search_latency(engine, args.queries, args.seed)
    print(f"[{name}] search ({len(ours)} queries, limit 20): p50 {percentile(ours, .5) * 1000:.1f} ms, "
          f"p95 {percentile(ours, .95) * 1000:.1f} ms, max {max(ours) * 1000:.1f} ms")
    print(f"[{name}] baseline LIKE scan ({len(baseline)} queries): p50 {percentile(baseline, .5) * 1000:.1f} ms, "
          f"p95 {percentile(baseline, .95) * 1000:.1f} ms; p50 speed-up x{percentile(baseline, .5) / percentile(ours, .5):.1f}")
    statements, writes, written, seconds = unchanged_cost(archive, args.unchanged)
    print(f"[{name}] unchanged page: {statements:.1f} statements, {writes:.1f} writes "
          f"(fetch log insert + last_seen update), {written:.0f} parameter bytes written, {seconds * 1000:.2f} ms per page")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=100, help="pages per transaction during ingest (Archive.record_many)")
    parser.add_argument("--single", type=int, default=2_000,
                        help="then this many more pages through Archive.record, one transaction each")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--unchanged", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-admin", default="host=127.0.0.1 port=5432 dbname=test user=root",
                        help="libpq connection string of a database to create the scratch database from")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as scratch:
                run_backend("sqlite", f"sqlite:///{scratch}/archive.db", args)
        elif backend == "postgresql":
            name = f"bench_archive_{random.randrange(1 << 30)}"
            with psycopg.connect(args.pg_admin, autocommit=True) as admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                user = admin.info.user
            try:
                run_backend("postgresql", f"postgresql+psycopg://{user}@127.0.0.1:5432/{name}", args)
            finally:
                with psycopg.connect(args.pg_admin, autocommit=True) as admin:
                    admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        else:
            parser.error(f"unknown backend {backend!r}")


if __name__ == "__main__":
    main()
