"""The archive's commands as a downstream user runs them: crawler db, search, show, versions, diff, export, coverage."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, text

from crawler.cli import main
from storage.archive import Archive
from tests.storage.builders import T0, report

URL = "http://127.1.0.1:8800/zwgk/fzzfjs/t20240320_1.html"
MIRROR = "http://127.1.0.9:8800/sfj/t20240321_9.html"
V1 = "一、主要成效\n全年办理行政复议案件五十件。\n二、存在问题\n普法宣传覆盖面不足。"
V2 = "一、主要成效\n全年办理行政复议案件五十二件。\n二、存在问题\n普法宣传覆盖面不足。\n三、下一步打算"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def seeded(archive: Archive, db_url: str) -> str:
    fields = dict(region="陕西省汉中市汉台区", region_code="610702", report_year=2023, kind="annual_rule_of_law_report",
                  issuer="汉中市汉台区人民政府", title="汉台区2023年法治政府建设情况报告")
    archive.record(report(URL, V1, published=dt.date(2024, 3, 20), **fields))
    archive.record(report(MIRROR, V1, **fields))
    archive.record(report(URL, V2, at=T0 + dt.timedelta(days=3), published=dt.date(2024, 3, 20), **fields))
    # A neighbouring county that published after the 1 April deadline.
    archive.record(report("http://127.1.0.2/nz.html", "南郑区2023年法治政府建设工作总结。", region_code="610703",
                          report_year=2023, kind="annual_rule_of_law_report", published=dt.date(2024, 4, 15)))
    return db_url


def test_db_upgrade_current_downgrade(empty_url: str) -> None:
    first = run("db", "upgrade", "--db", empty_url)
    assert first.exit_code == 0 and "empty -> 0001" in first.output
    assert "0001 (up to date)" in run("db", "current", "--db", empty_url).output
    down = run("db", "downgrade", "base", "--db", empty_url)
    assert down.exit_code == 0 and "base (empty)" in down.output
    assert "empty (behind" in run("db", "current", "--db", empty_url).output


def test_db_url_from_the_environment(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRAWLER_DB_URL", empty_url)
    assert run("db", "upgrade").exit_code == 0
    assert "0001 (up to date)" in run("db", "current").output


def test_search_prints_ranked_hits_as_json(seeded: str) -> None:
    result = run("search", "复议", "--db", seeded, "--json")
    hits = json.loads(result.output)
    assert [(h["url"], h["version"], h["report_year"]) for h in hits] == [(URL, 2, 2023)]
    start, end = hits[0]["highlights"][0]
    assert hits[0]["snippet"][start:end] == "复议"
    assert "复议" in run("search", "复议", "--db", seeded).output


def test_show_versions_and_diff(seeded: str) -> None:
    shown = json.loads(run("show", MIRROR, "--version", "1", "--db", seeded, "--json").output)
    assert shown["urls"] == [URL, MIRROR] and shown["version"]["version"] == 1 and "五十件" in shown["text"]
    listed = json.loads(run("versions", URL, "--db", seeded, "--json").output)
    assert [v["version"] for v in listed] == [1, 2]
    changes = run("diff", URL, "1", "2", "--db", seeded).output.splitlines()
    assert "-全年办理行政复议案件五十件。" in changes and "+全年办理行政复议案件五十二件。" in changes
    assert "+三、下一步打算" in changes and not any(line.startswith(("+", "-")) and "普法" in line for line in changes)


def test_export_jsonl_csv_and_parquet(seeded: str, tmp_path: Path) -> None:
    rows = [json.loads(line) for line in run("export", "--db", seeded, "--format", "jsonl").output.splitlines()]
    ours = next(row for row in rows if row["url"] == URL)
    assert {"url", "urls", "region", "issuer", "report_year", "version", "content_hash", "published",
            "first_seen", "last_seen", "text"} <= ours.keys()
    assert ours["urls"] == [URL, MIRROR] and ours["version"] == 2 and ours["published"] == "2024-03-20"
    every = run("export", "--db", seeded, "--format", "jsonl", "--all-versions", "--region", "610702").output
    assert [json.loads(line)["version"] for line in every.splitlines()] == [1, 2]
    since = run("export", "--db", seeded, "--format", "jsonl", "--since", "2024-03-21").output.splitlines()
    assert [json.loads(line)["url"] for line in since] == [URL]
    table = list(csv.DictReader(io.StringIO(run("export", "--db", seeded, "--format", "csv", "--year", "2023").output)))
    assert {row["url"] for row in table} == {URL, "http://127.1.0.2/nz.html"}
    target = tmp_path / "reports.parquet"
    assert run("export", "--db", seeded, "--format", "parquet", "-o", str(target)).exit_code == 0
    assert sorted(pq.read_table(target).column("url").to_pylist()) == sorted([URL, "http://127.1.0.2/nz.html"])


def test_coverage_marks_present_late_and_missing_counties(seeded: str) -> None:
    lines = run("coverage", "--db", seeded, "--csv", "--years", "2022,2023").output.splitlines()
    matrix = {row["region_code"]: row for row in csv.DictReader(lines)}
    assert len(matrix) > 2800  # all of China's county-level divisions, not only the archived ones
    assert (matrix["610702"]["2023"], matrix["610703"]["2023"], matrix["610722"]["2023"]) == ("present", "late", "missing")
    assert matrix["610702"]["2022"] == "missing"
    totals = json.loads(run("coverage", "--db", seeded, "--json", "--region", "汉中市").output)["totals"]
    assert totals["2023"]["present"] == 1 and totals["2023"]["late"] == 1


def test_archive_problems_are_one_line_errors(engine: Engine, db_url: str, tmp_path: Path) -> None:
    missing = run("search", "复议", "--db", f"sqlite:///{tmp_path / 'nothing.db'}")
    assert missing.exit_code == 1 and "no archive at" in missing.output
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed9999'"))
    newer = run("show", "1", "--db", db_url)
    assert newer.exit_code == 1 and "newer than this code" in newer.output and "Traceback" not in newer.output
    unknown = run("show", "12345", "--db", f"sqlite:///{tmp_path / 'nothing.db'}")
    assert unknown.exit_code == 1
