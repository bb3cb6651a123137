"""`crawler portal check`: what an operator reads before writing or scheduling a portal.

Every check that crawls runs the real command in a child process (one reactor per process)
against the farm over HTTP; the usage errors need no crawl and run in-process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console
from scrapy.http import HtmlResponse
from w3lib.url import canonicalize_url

from crawler.check import CheckResult, ListPage
from crawler.cli.portal import _print_check, portal
from tests.crawl.conftest import CRAWLER
from spiders.base import ListLink
from tests.crawl.test_portals import VALID, _write
from tests.farm import RunningFarm, fetch

CONTRACT_KEYS = {"portal", "family", "lists", "candidates", "rejected", "problems"}
# Data endpoints read as list pages (Hanweb's XML proxy, gkmlpt's JSON API): no links of their own.
_DATA_PATHS = ("dataproxy", "/gkmlpt/api/")


def _check(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[int, dict, str]:
    """``crawler portal check ... --json``: exit code, the JSON printed and stderr."""
    result = subprocess.run([CRAWLER, "portal", "check", *args, "--json"], capture_output=True, text=True,
                            timeout=180, cwd=cwd, env=env)
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else {}, result.stderr


def _canonical(urls: list[str]) -> list[str]:
    return [canonicalize_url(u) for u in urls]


def _page_links(url: str) -> set[str]:
    """Every link on the page at ``url`` (``href`` and TRS's ``ms-attr-href``), absolute and canonical."""
    answer = fetch(url)
    page = HtmlResponse(url, body=answer.body, headers={"Content-Type": answer.headers.get("content-type", "")})
    hrefs = page.xpath("//a/@href | //a/@ms-attr-href").getall()
    return {canonicalize_url(page.urljoin(h.strip())) for h in hrefs if h.strip() and "{" not in h}


@pytest.mark.parametrize("mode", ["own", "auto"])
def test_check_lists_every_item_and_further_page_of_every_list_page(farm: RunningFarm, mode: str) -> None:
    """Every list page of the session farm's county portals (trs, hanweb, shtml and the variants
    those eight carry): items exactly as the page lists them, and its further pages.

    ``--url`` gets the first page of each column (the portal config's start URLs); the check
    reads the rest through the ``next`` pages it derives, like a crawl.
    """
    wrong = lists_read_wrong(farm, [p for p in farm.manifest()["portals"] if p["kind"] == "county"], mode)
    assert not wrong, "\n".join(wrong)


def lists_read_wrong(farm: RunningFarm, specs: list[dict], mode: str) -> list[str]:
    """How ``crawler portal check --url`` (with the portal's own family, or ``auto``) reads the
    list pages of the manifest's portals ``specs`` otherwise than the manifest lists them."""
    configs = farm.farm.portal_configs()
    wrong: list[str] = []
    for spec in specs:
        lists = spec["lists"]
        firsts = tomllib.loads(configs[f"{spec['name']}.toml"])["start_urls"]
        family = spec["family"] if mode == "own" else "auto"
        code, check, stderr = _check(*(a for url in firsts for a in ("--url", url)), "--family", family,
                                     "--max-pages", "300")
        assert code == 0, (spec["name"], check.get("problems"), stderr[-2000:])
        read = {canonicalize_url(page["url"]): page for page in check["lists"]}
        for expected in lists:
            where = f"{spec['name']} {spec['variants']} --family {family}: {expected['url']}"
            got = read.get(canonicalize_url(expected["url"]))
            if got is None:
                wrong.append(f"{where}: not read")
                continue
            items, listed = _canonical([item["url"] for item in got["items"]]), _canonical(expected["items"])
            if items != listed:
                wrong.append(f"{where}: items {len(items)}, of them {len(set(items) - set(listed))} not listed, "
                             f"{len(set(listed) - set(items))} missed, same order: {items == listed[:len(items)]}")
            if missed := set(_canonical(expected["next"])) - set(_canonical(got["next"])):
                wrong.append(f"{where}: further pages missed: {sorted(missed)}")
            if mode == "auto" and got["family"] != expected["family"]:
                wrong.append(f"{where}: auto read it as {got['family']}, not {expected['family']}")
            if got["url"].startswith(spec["base_url"]) and not any(api in got["url"] for api in _DATA_PATHS):
                navigation = _page_links(got["url"]) - set(listed)  # an HTML page
                if taken := navigation & set(items):
                    wrong.append(f"{where}: {len(taken)} navigation or side-bar link(s) taken as items")
    return wrong


def test_check_of_a_named_portal_finds_its_reports_and_writes_nothing(farm: RunningFarm, tmp_path: Path) -> None:
    farm.write_portals(tmp_path / "portals")
    manifest = farm.manifest()
    spec = next(p for p in manifest["portals"] if p["family"] == "trs" and p["kind"] == "county")
    db = tmp_path / "must-not-exist.db"
    code, check, stderr = _check(spec["name"], "--portals-dir", str(tmp_path / "portals"), cwd=tmp_path,
                                 env={**os.environ, "CRAWLER_DB_URL": f"sqlite:///{db}"})
    assert code == 0, stderr[-3000:]
    assert CONTRACT_KEYS <= set(check) and check["portal"] == spec["name"] and check["family"] == "trs"
    expected = {r["url"]: r["report_year"] for r in manifest["reports"] if r["portal"] == spec["name"]}
    assert {c["url"]: c["report_year"] for c in check["candidates"]} == expected
    assert {c["kind"] for c in check["candidates"]} == {"annual_rule_of_law_report"}
    assert all(c["title"] and c["preview"] for c in check["candidates"])
    negatives = {n["url"]: n["kind"] for n in manifest["negatives"] if n["portal"] == spec["name"]}
    by_kind = {r["url"]: r["kind"] for r in check["rejected"] if "kind" in r}
    assert by_kind and all(negatives.get(url) == kind for url, kind in by_kind.items())
    by_title = [r for r in check["rejected"] if r.get("reason") == "title"]
    listed = {item["url"] for page in check["lists"] for item in page["items"]}
    assert by_title and {r["url"] for r in by_title} <= listed and not set(expected) & {r["url"] for r in by_title}
    assert not db.exists() and not (tmp_path / "data").exists()


def test_check_of_an_unreachable_url_names_it_and_exits_1() -> None:
    with socket.socket() as sock:  # a port nothing listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/col/col1/index.html"
    code, check, _ = _check("--url", url)
    assert code == 1
    assert check["candidates"] == [] and check["lists"] == []
    assert any(url in problem for problem in check["problems"]), check["problems"]


@pytest.mark.parametrize("args, message", [
    (["--url", "http://127.0.0.1:1/", "--family", "nosuch"], "'nosuch' is not one of"),
    (["--url", "ftp://127.0.0.1/list.html"], "'ftp://127.0.0.1/list.html' is not an http(s) URL"),
    (["--url", "http://127.0.0.1:99999/"], "Port out of range"),
    ([], "give either a portal NAME or --url URL"),
    (["some_portal", "--family", "trs"], "--family goes with --url"),
])
def test_check_usage_errors_exit_2_before_fetching(args: list[str], message: str) -> None:
    result = CliRunner().invoke(portal, ["check", *args])
    assert result.exit_code == 2 and message in result.output, result.output


def test_check_of_an_invalid_config_exits_2(tmp_path: Path) -> None:
    _write(tmp_path, "broken", VALID.format(name="broken").replace("[region]", "[regio]"))
    result = CliRunner().invoke(portal, ["check", "broken", "--portals-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "broken.toml" in result.output and "region" in result.output


def test_readable_check_shows_candidates_first_then_lists_rejected_and_problems() -> None:
    result = CheckResult(
        portal="htq_gov_cn", family="shtml", status="ok", pages_fetched=3,
        lists=[ListPage("http://htq.gov.cn/c1/xxgk_list.shtml", "shtml",
                        [ListLink("http://htq.gov.cn/c1/a.shtml", "汉台区2024年法治政府建设情况报告", "2025-03-01"),
                         ListLink("http://htq.gov.cn/c1/b.shtml", "关于春季森林防火的通告")],
                        ["http://htq.gov.cn/c1/xxgk_list_2.shtml"])],
        candidates=[{"url": "http://htq.gov.cn/c1/a.shtml", "title": "汉台区2024年法治政府建设情况报告",
                     "report_year": 2024, "kind": "annual_rule_of_law_report", "encoding": "utf-8",
                     "preview": "2024年，我区坚持以习近平法治思想为引领"}],
        rejected=[{"url": "http://htq.gov.cn/c1/b.shtml", "title": "关于春季森林防火的通告", "reason": "title"}],
        problems=["page_limit: stopped at [limits].max_pages"],
    )
    console = Console(record=True, width=400)
    _print_check(console, result)
    text = console.export_text()
    order = [text.index(s) for s in ("report candidates (1)", "2024", "list http://htq.gov.cn/c1/xxgk_list.shtml",
                                     "next: http://htq.gov.cn/c1/xxgk_list_2.shtml", "rejected pages (1)",
                                     "by title", "problem page_limit: stopped at [limits].max_pages")]
    assert order == sorted(order), text
