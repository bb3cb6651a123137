"""Discovery benchmark: how many of a farm's reports a crawl finds, and at what cost, per list reader.

    .venv/bin/python benchmarks/discovery.py                  # 30 county portals, every family
    .venv/bin/python benchmarks/discovery.py --portals 12 --json

One farm (``--portals`` county portals, seed 1, night 0, the families of ``--families``,
gkmlpt included by default) is crawled three times into three fresh SQLite archives, with
``crawler crawl --all`` as a nightly crawl runs it:

* **own** — each portal config as the farm writes it (its own family's template);
* **generic** — every config rewritten to ``family = "generic"`` (every link of a list page
  is a possible item; only next/末页 links and the pager calls the shared code reads);
* **auto** — every config rewritten to ``family = "auto"`` (the family detected per page).

For each mode it prints, per true family of the portals and overall: **report recall** (the
manifest's report URLs archived, over the manifest's), **precision** (the archived documents
that are reports of the manifest, over all archived) and **requests per report found**
(responses fetched over reports found: what a report costs the portal's server). The city
portals the farm also serves are left out: they re-publish county reports (mirrors), which
would blur what each reader finds on its own lists.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from sqlalchemy import create_engine, select

from crawler.sim import Farm
from crawler.sim.farm import night_date
from crawler.sim.process import start_farm_process
from storage.models import Document, Portal

CRAWLER = str(Path(sys.executable).with_name("crawler"))
MODES = ("own", "generic", "auto")
_FAMILY_LINE = re.compile(r'^family = ".*"$', re.MULTILINE)


def write_configs(farm: Farm, directory: Path, mode: str) -> None:
    """The farm's county portal configs in ``directory``, their family rewritten unless ``mode`` is ``own``."""
    directory.mkdir(parents=True)
    counties = {p["name"] for p in farm.manifest()["portals"] if p["kind"] == "county"}
    for file_name, text in farm.portal_configs().items():
        if file_name.removesuffix(".toml") not in counties:
            continue
        if mode != "own":
            text = _FAMILY_LINE.sub(f'family = "{mode}"', text, count=1)
        (directory / file_name).write_text(text, encoding="utf-8")


def crawl(workdir: Path) -> dict:
    """``crawler crawl --all`` of ``workdir/portals`` into ``workdir/archive.db``: its ``--json`` summary."""
    command = [CRAWLER, "crawl", "--all", "--portals-dir", str(workdir / "portals"),
               "--db", f"sqlite:///{workdir / 'archive.db'}", "--cache-dir", str(workdir / "cache"), "--json",
               "--as-of", f"{night_date(0).isoformat()}T02:00:00+08:00"]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "CRAWLER_DB_URL": ""})
    if result.returncode not in (0, 1) or not result.stdout.strip():  # 1: some portal degraded, still scored
        raise RuntimeError(f"crawl failed ({result.returncode}): {result.stderr[-3000:]}")
    return json.loads(result.stdout)


def archived(workdir: Path) -> dict[str, set[str]]:
    """Portal name -> canonical URLs of the documents the crawl archived for it."""
    engine = create_engine(f"sqlite:///{workdir / 'archive.db'}")
    found: dict[str, set[str]] = defaultdict(set)
    with engine.connect() as connection:
        for name, url in connection.execute(select(Portal.name, Document.canonical_url).join(
                Portal, Portal.id == Document.portal_id)):
            found[name].add(url)
    engine.dispose()
    return found


def score(manifest: dict, summary: dict, found: dict[str, set[str]]) -> dict[str, dict]:
    """Recall, precision and requests per report found, per true family and overall (``all``)."""
    family_of = {p["name"]: p["family"] for p in manifest["portals"] if p["kind"] == "county"}
    groups = {family: [n for n, f in family_of.items() if f == family] for family in sorted(set(family_of.values()))}
    groups["all"] = list(family_of)
    expected_by_portal: dict[str, set[str]] = defaultdict(set)
    for report in manifest["reports"]:
        expected_by_portal[report["portal"]].add(report["url"])
    figures = {}
    for group, names in groups.items():
        expected = set().union(*(expected_by_portal[n] for n in names))
        got = set().union(*(found.get(n, set()) for n in names))
        hits = len(expected & got)
        pages = sum(summary["per_portal"].get(n, {}).get("pages_fetched", 0) for n in names)
        figures[group] = {
            "portals": len(names), "reports": len(expected), "found": hits, "archived": len(got), "pages": pages,
            "recall": round(hits / len(expected), 3) if expected else None,
            "precision": round(hits / len(got), 3) if got else None,
            "requests_per_report": round(pages / hits, 1) if hits else None,
        }
    return figures


def run(portals: int, families: str) -> dict:
    """Serve one farm and crawl it once per mode; the figures of every mode."""
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="discovery-bench-") as tmp:
        root = Path(tmp)
        child = start_farm_process(["--portals", str(portals), "--seed", "1", "--night", "0", "--port", "0",
                                    "--families", families], timeout=300)
        try:
            farm = Farm(portals, 1, 0, child.port, families=families.split(","))
            manifest = farm.manifest()
            for mode in MODES:
                workdir = root / mode
                write_configs(farm, workdir / "portals", mode)
                summary = crawl(workdir)
                results[mode] = score(manifest, summary, archived(workdir))
        finally:
            child.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--portals", type=int, default=30, help="county portals of the farm")
    parser.add_argument("--families", default="trs,hanweb,shtml,gkmlpt", help="families the farm rotates through")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results = run(args.portals, args.families)
    if args.json:
        print(json.dumps({"command": " ".join(sys.argv), "load_average": os.getloadavg(), "modes": results}, indent=2))
        return
    print(f"{'mode':8} {'family':8} {'portals':>7} {'reports':>7} {'found':>5} {'recall':>6} {'precision':>9} "
          f"{'pages':>6} {'requests/report':>15}")
    for mode, figures in results.items():
        for group, f in figures.items():
            print(f"{mode:8} {group:8} {f['portals']:>7} {f['reports']:>7} {f['found']:>5} {_num(f['recall']):>6} "
                  f"{_num(f['precision']):>9} {f['pages']:>6} {_num(f['requests_per_report']):>15}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


if __name__ == "__main__":
    main()
