"""Portal configs and the Scrapy project: validation errors, `scrapy list`, `scrapy crawl`, `crawler portal`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.cli.options import DEFAULT_PORTALS_DIR
from crawler.portals import PortalConfigError, load_portal, load_portals
from storage.models import Document
from tests.crawl.conftest import CRAWLER, Workspace
from tests.farm import RunningFarm

PROJECT = Path(__file__).resolve().parents[2]
SCRAPY = str(Path(sys.executable).with_name("scrapy"))

VALID = """
name = "{name}"
title = "汉中市汉台区人民政府"
family = "trs"
allowed_domains = ["127.0.0.9"]
start_urls = ["http://127.0.0.9:1/index.html"]
[region]
province = "陕西省"
city = "汉中市"
county = "汉台区"
code = "610702"
"""


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("max_pages = 500", 'max_pages = "lots"'), "limits.max_pages"),
        (('code = "610702"', 'code = "6107"'), "region.code"),
        (('family = "trs"', 'family = "wordpress"'), "family"),
        (('title = "汉中市汉台区人民政府"', 'title = "x"\ncolour = "red"'), "colour"),
        (('allowed_domains = ["127.0.0.9"]', 'allowed_domains = ["127.0.0.9:8800"]'), "allowed_domains"),
        (('start_urls = ["http://127.0.0.9:1/index.html"]', 'start_urls = ["http://evil.example/"]'), ""),
    ],
)
def test_invalid_config_names_file_and_key(tmp_path: Path, change: tuple[str, str], key: str) -> None:
    text = (VALID + "[limits]\nmax_pages = 500\n").format(name="bad").replace(*change)
    path = _write(tmp_path, "bad", text)
    with pytest.raises(PortalConfigError) as error:
        load_portal(path)
    assert str(path) in str(error.value)
    assert any(e.key == key and e.path == path for e in error.value.errors), error.value.errors


def test_broken_toml_and_name_mismatch_are_reported(tmp_path: Path) -> None:
    _write(tmp_path, "good", VALID.format(name="good"))
    _write(tmp_path, "syntax", VALID.format(name="syntax") + "[region\n")
    _write(tmp_path, "renamed", VALID.format(name="other"))
    portals, errors = load_portals(tmp_path)
    assert [p.name for p in portals] == ["good"]
    by_file = {e.path.name: e for e in errors}
    assert "not valid TOML" in by_file["syntax.toml"].message
    assert by_file["renamed.toml"].key == "name"


def test_shipped_seed_portals_load_and_are_marked_unverified() -> None:
    portals, errors = load_portals(DEFAULT_PORTALS_DIR)
    assert errors == []
    by_name = {p.name: p for p in portals}
    assert {p.region.county for p in portals} >= {"汉台区", "蒸湘区", "潞州区", "未央区", "秦州区"}
    assert not any(p.verified for p in portals)
    assert by_name["hanzhong_hantai"].start_urls[0] == "http://htq.gov.cn/hzshtqzf/zwgk/zdly/fzzfjssjfcj/"
    for path in DEFAULT_PORTALS_DIR.glob("*.toml"):
        assert "NOT YET VERIFIED LIVE" in path.read_text(encoding="utf-8"), path


def test_invalid_file_is_reported_and_other_portals_still_crawl(farm: RunningFarm, workspace: Workspace) -> None:
    farm.write_portals(workspace.portals_dir)
    kept = sorted(workspace.portals_dir.glob("sim_trs_*.toml"))[:1]
    for path in workspace.portals_dir.glob("*.toml"):
        if path not in kept:
            path.unlink()
    broken = _write(workspace.portals_dir, "broken", VALID.format(name="broken").replace('code = "610702"', "code = 1"))
    summary = workspace.crawl()
    assert summary["portals"] == 1
    assert summary["new_documents"] > 0
    assert len(summary["config_errors"]) == 1
    assert str(broken) in summary["config_errors"][0] and "region.code" in summary["config_errors"][0]


def test_naming_an_invalid_portal_is_a_usage_error(tmp_path: Path) -> None:
    _write(tmp_path, "broken", VALID.format(name="broken").replace('family = "trs"', 'family = 3'))
    result = subprocess.run([CRAWLER, "crawl", "broken", "--portals-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "broken.toml" in result.stderr and "family" in result.stderr


def test_scrapy_list_lists_every_portal(farm: RunningFarm, tmp_path: Path) -> None:
    farm.write_portals(tmp_path)
    result = subprocess.run([SCRAPY, "list", "-s", f"PORTALS_DIR={tmp_path}"], cwd=PROJECT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == sorted(p.stem for p in tmp_path.glob("*.toml"))


def test_scrapy_crawl_runs_one_portal_through_the_pipelines(farm: RunningFarm, workspace: Workspace) -> None:
    farm.write_portals(workspace.portals_dir)
    name = sorted(p.stem for p in workspace.portals_dir.glob("sim_shtml_*.toml"))[0]
    result = subprocess.run(
        [SCRAPY, "crawl", name, "-s", f"PORTALS_DIR={workspace.portals_dir}", "-s", f"ARCHIVE_DB_URL={workspace.db_url}",
         "-s", f"HTTPCACHE_DIR={workspace.cache_dir}", "-s", "LOG_LEVEL=WARNING"],
        cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    expected = {r["url"] for r in farm.manifest()["reports"] if r["portal"] == name}
    with workspace.engine().connect() as connection:
        archived = set(connection.scalars(select(Document.canonical_url)))
    assert expected and archived == expected


def test_portal_new_writes_a_skeleton_that_validates_once_filled(tmp_path: Path) -> None:
    url = "http://htq.gov.cn/hzshtqzf/zwgk/zdly/fzzfjssjfcj/"
    result = subprocess.run([CRAWLER, "portal", "new", "hantai", "--url", url, "--family", "shtml",
                             "--portals-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    path = tmp_path / "hantai.toml"
    with pytest.raises(PortalConfigError) as error:
        load_portal(path)
    assert {e.key for e in error.value.errors} >= {"region.code", "region.province"}
    filled = path.read_text(encoding="utf-8")
    for key, value in (("province", "陕西省"), ("city", "汉中市"), ("county", "汉台区"), ("code", "610702")):
        filled = filled.replace(f'{key} = ""', f'{key} = "{value}"')
    path.write_text(filled, encoding="utf-8")
    portal = load_portal(path)
    assert portal.start_urls == [url] and portal.allowed_domains == ["htq.gov.cn"] and portal.family == "shtml"
    again = subprocess.run([CRAWLER, "portal", "new", "hantai", "--url", url, "--portals-dir", str(tmp_path)],
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "exists" in again.stderr


def test_page_limit_stops_the_portal_and_is_reported(farm: RunningFarm, workspace: Workspace) -> None:
    farm.write_portals(workspace.portals_dir)
    name = sorted(p.stem for p in workspace.portals_dir.glob("sim_trs_*.toml"))[0]
    path = workspace.portals_dir / f"{name}.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("max_pages = 500", "max_pages = 5"), encoding="utf-8")
    summary = workspace.crawl(name)
    portal = summary["per_portal"][name]
    assert portal["status"] == "limited"
    assert any(p.startswith("page_limit") for p in portal["problems"])
    # Requests already handed to the downloader (at most CONCURRENT_REQUESTS) still complete.
    assert portal["pages_fetched"] <= 5 + 32
