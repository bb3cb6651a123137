"""Same arguments, same farm: in-process, from the CLI, and across restarts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.portals import load_portals
from crawler.sim import Farm
from tests.farm import fetch, parse_ready_line, running_farm

CRAWLER = str(Path(sys.executable).with_name("crawler"))


def test_same_arguments_give_the_same_manifest():
    assert Farm(5, 7, 2, 8800).manifest() == Farm(5, 7, 2, 8800).manifest()
    other = Farm(5, 8, 2, 8800).manifest()
    assert [r["text_sha256"] for r in other["reports"]] != [r["text_sha256"] for r in Farm(5, 7, 2, 8800).manifest()["reports"]]


def test_cli_manifest_matches_the_library():
    out = subprocess.run([CRAWLER, "sim", "manifest", "--portals", "3", "--seed", "2", "--night", "2", "--port", "8811"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    assert json.loads(out) == Farm(3, 2, 2, 8811).manifest()


def test_restart_serves_the_same_etags():
    port = _free_port()
    with running_farm(portals=3, seed=9, night=0, port=port) as first:
        urls = [r["url"] for r in first.manifest()["reports"]] + first.base_urls
        tags = {url: fetch(url).headers["etag"] for url in urls}
    with running_farm(portals=3, seed=9, night=0, port=port) as second:
        assert {url: fetch(url).headers["etag"] for url in urls} == tags


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_write_portals_gives_valid_portal_configs(tmp_path):
    command = [CRAWLER, "sim", "serve", "--portals", "3", "--seed", "4", "--port", "0", "--write-portals", str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        port, urls = parse_ready_line(process.stdout.readline().strip())
    finally:
        process.terminate()
        process.wait(timeout=10)
    portals, errors = load_portals(tmp_path)
    assert errors == []
    assert len(portals) == len(urls) == len(Farm(3, 4, 0, port).specs)
    for portal in portals:
        assert all(url.startswith(f"http://{portal.allowed_domains[0]}:{port}/") for url in portal.start_urls)


def test_bad_arguments_fail_with_a_clear_message():
    bad = subprocess.run([CRAWLER, "sim", "manifest", "--faults", "http_500_burst,nonsense"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode != 0 and "nonsense" in bad.stderr
    with pytest.raises(ValueError, match="loopback"):
        Farm(2, 1, 0, 8800, host="10.0.0.1")


def test_session_portal_configs_point_at_the_running_farm(farm, farm_portals):
    portals, errors = load_portals(farm_portals)
    assert errors == []
    assert sorted(f"http://{p.allowed_domains[0]}:{farm.port}/" for p in portals) == sorted(farm.base_urls)
    for portal in portals:
        assert all(fetch(url).status == 200 for url in portal.start_urls)


def test_a_busy_port_is_a_clear_error(farm):
    busy = subprocess.run([CRAWLER, "sim", "serve", "--portals", "2", "--port", str(farm.port)], capture_output=True,
                          text=True, timeout=60)
    assert busy.returncode != 0
    assert f"cannot listen on 127.0.0.1:{farm.port}" in busy.stderr
