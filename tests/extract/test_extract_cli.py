"""``crawler extract FILE...`` on saved files, as operators and checks run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from crawler.cli import main
from extract_pages import REALPAGES, seed_page, seeds
from test_extract_attachments import REPORT, make_docx

KEYS = {"url", "title", "text", "paragraphs", "published", "report_year", "region", "issuer", "index_no", "doc_no",
        "subject", "is_annual_report", "kind", "attachments", "content_hash", "chrome_removed"}


def test_jsonl_many_files_with_a_missing_one(tmp_path: Path):
    seed = seeds()[2]
    page = tmp_path / "report.html"
    page.write_bytes(seed_page(seed, "structured"))
    document = tmp_path / "report.docx"
    document.write_bytes(make_docx(REPORT))
    missing = tmp_path / "missing.html"

    result = CliRunner().invoke(main, ["extract", str(page), str(missing), str(document), "--jsonl"])

    assert result.exit_code == 1
    assert f"cannot read {missing}" in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(page), str(document)]
    assert KEYS <= set(lines[0])
    assert lines[0]["doc_no"] == seed.expected["doc_no"]
    assert lines[0]["is_annual_report"] is True
    assert lines[1]["title"] == REPORT[0]


def test_url_option_gives_dates_and_pretty_json(tmp_path: Path):
    seed = seeds()[0]
    page = tmp_path / "page.html"
    page.write_bytes(seed_page(seed, "inline"))
    result = CliRunner().invoke(main, ["extract", str(page), "--url", seed.expected["source_url"]])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["url"] == seed.expected["source_url"]
    assert (data["published"], data["published_precision"]) == ("2024-01-01", "month")
    assert "\n  " in result.stdout, "pretty-printed without --jsonl"


def test_installed_command_runs_on_real_pages():
    files = sorted(str(p) for p in REALPAGES.glob("2*.html"))
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("crawler")), "extract", *files, "--jsonl"],
        capture_output=True, text=True, check=True,
    )
    results = [json.loads(line) for line in completed.stdout.splitlines()]
    assert len(results) == len(files)
    assert all(r["text"] and r["content_hash"] for r in results)
