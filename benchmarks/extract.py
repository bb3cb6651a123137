"""Extraction benchmark: this extractor against trafilatura, readability-lxml and GNE, same pages, one run.

Groups of pages, each with its own gold text:

* ``farm``   — report pages of every farm family and encoding (gold: the manifest's canonical text),
  plus the farm's negative pages (news, notices, plans, 解读, 信息公开年报) whose gold is their body
  as rendered by the farm;
* ``seeds``  — the five labelled seed reports rendered through every farm family (gold: body lines);
* ``real:*`` — ../shared/realpages by their ``group`` (gold: approximate body text).

Quality is precision / recall / F1 over the multiset of non-blank characters (so the different
line breaking of each tool does not count), averaged over pages; speed is pages per CPU-second
(best of several interleaved passes) for the whole extraction from bytes (trafilatura and ours decode the bytes themselves; GNE and
readability-lxml, whose byte input is broken, are given UnicodeDammit's decoding inside the timed call).

    .venv/bin/python benchmarks/extract.py [--portals 12] [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from statistics import mean
from urllib.parse import urlsplit

from crawler.extract import extract
from crawler.extract.score import char_prf
from crawler.regions import resolve_region
from crawler.sim import FAMILIES, Article, Farm, SiteInfo, render_article
from crawler.sim.site import PortalSite
from crawler.textnorm import clean_paragraph

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


class Page:
    __slots__ = ("group", "url", "body", "content_type", "gold")

    def __init__(self, group: str, url: str, body: bytes, content_type: str | None, gold: str) -> None:
        self.group, self.url, self.body, self.content_type, self.gold = group, url, body, content_type, gold


def farm_pages(portals: int) -> list[Page]:
    """Single-page HTML reports from the farm, with the manifest's canonical text as gold."""
    farm = Farm(portals=portals, seed=5, night=2, port=8800)
    manifest = farm.manifest()
    sites: dict[int, PortalSite] = {}
    pages = []
    for report in manifest["reports"]:
        if report["body"] != "html":
            continue
        parts = urlsplit(report["url"])
        spec = next(s for s in farm.specs if s.base_url == f"{parts.scheme}://{parts.netloc}")
        site = sites.get(spec.index)
        if site is None:
            site = sites[spec.index] = PortalSite(farm, farm.plan(spec.index))
        reply = site.handle("GET", parts.path, {}, {})
        pages.append(Page("farm", report["url"], reply.body, reply.headers.get("Content-Type"), report["text"]))
    return pages


def seed_pages() -> list[Page]:
    """Each labelled seed report rendered by every farm family, UTF-8 and GBK."""
    labels = json.loads((SHARED / "seeds" / "labels.json").read_text(encoding="utf-8"))
    pages = []
    for name, label in sorted(labels.items()):
        lines = (SHARED / "seeds" / name).read_text(encoding="utf-8").split("\n")
        body = tuple(clean_paragraph(lines[n - 1]) for n in label["lines_body"])
        expected = label["expected"]
        region = resolve_region(expected["region"])
        published = expected.get("published") or expected.get("signed") or "2024-03-01"
        article = Article(
            title=expected["title"] or "", paragraphs=body,
            published=date.fromisoformat(published + "-15" if len(published) == 7 else published),
            issuer=expected["issuer"] or "", index_no=expected.get("index_no", ""), doc_no=expected.get("doc_no", ""),
        )
        for family in sorted(FAMILIES):
            for variant, (encoding, declared) in enumerate((("utf-8", "utf-8"), ("gbk", "gb2312"))):
                site = SiteInfo(name=f"{region.city or ''}{region.county}人民政府", base_url="http://127.0.0.1:8800",
                                site_code=f"{region.code}0001", province=region.province, region=region,
                                encoding=encoding, declared=declared)
                html = render_article(family, article, site, variant_seed=variant)
                pages.append(Page("seeds", f"http://127.0.0.1:8800/{name}/{family}/{variant}.html", html,
                                  site.content_type, "\n".join(body)))
    return pages


def real_pages() -> list[Page]:
    pages = []
    for path in sorted((SHARED / "realpages").glob("*.html")):
        gold = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        pages.append(Page(f"real:{gold['group']}", gold.get("url") or f"http://127.0.0.1/{path.name}",
                          path.read_bytes(), None, gold["body"]))
    return pages


# --- the extractors, each from bytes to plain text ------------------------------------------


def ours(page: Page) -> str:
    return extract(page.body, page.url, page.content_type).text


def with_trafilatura() -> Callable[[Page], str]:
    import trafilatura

    def run(page: Page) -> str:
        return trafilatura.extract(page.body, url=page.url, include_comments=False, include_tables=True) or ""

    return run


def with_readability() -> Callable[[Page], str]:
    from lxml import html
    from readability import Document

    def run(page: Page) -> str:
        summary = Document(_decoded(page.body)).summary(html_partial=True)
        tree = html.fragment_fromstring(summary, create_parent="div")
        for block in tree.iter("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4"):
            block.tail = "\n" + (block.tail or "")
        return tree.text_content()

    return run


def _decoded(body: bytes) -> str:
    """UnicodeDammit's decoding, for the tools that only take text (timed as part of their call)."""
    from bs4.dammit import UnicodeDammit

    return UnicodeDammit(body, is_html=True).unicode_markup


def with_gne() -> Callable[[Page], str]:
    from gne import GeneralNewsExtractor

    extractor = GeneralNewsExtractor()

    def run(page: Page) -> str:
        return extractor.extract(_decoded(page.body)).get("content", "")

    return run


def run(extractors: dict[str, Callable[[Page], str]], pages: list[Page], repeat: int) -> dict:
    """For every group and extractor: mean P/R/F1 and pages per CPU-second (best of ``repeat`` passes).

    The extractors take turns within each pass and time is the process's CPU time, so other
    work on the shared machine does not favour whichever tool happened to run in a quiet moment.
    """
    results: dict = defaultdict(dict)
    for group in sorted({p.group for p in pages}):
        subset = [p for p in pages if p.group == group]
        best = dict.fromkeys(extractors, float("inf"))
        outputs: dict[str, list[str]] = {}
        failures: dict[str, int] = {}
        for _ in range(repeat):
            for name, function in extractors.items():
                texts, failed = [], 0
                start = time.process_time()
                for page in subset:
                    try:
                        texts.append(function(page))
                    except Exception as exc:  # noqa: BLE001 - a baseline failing on a page scores it as empty
                        logging.debug("%s failed on %s: %s", name, page.url, exc)
                        texts.append("")
                        failed += 1
                best[name] = min(best[name], time.process_time() - start)
                outputs[name], failures[name] = texts, failed
        for name in extractors:
            scores = [char_prf(out, page.gold) for out, page in zip(outputs[name], subset)]
            results[group][name] = {
                "pages": len(subset),
                "precision": mean(s[0] for s in scores),
                "recall": mean(s[1] for s in scores),
                "f1": mean(s[2] for s in scores),
                "pages_per_s": len(subset) / max(best[name], 1e-9),
                "failures": failures[name],
            }
    return results


def report(results: dict) -> str:
    lines = []
    for group, by_tool in results.items():
        lines.append(f"\n{group} ({next(iter(by_tool.values()))['pages']} pages)")
        lines.append(f"{'extractor':<14}{'precision':>10}{'recall':>8}{'F1':>8}{'pages/s':>10}{'failed':>8}")
        for tool, r in by_tool.items():
            lines.append(f"{tool:<14}{r['precision']:>10.3f}{r['recall']:>8.3f}{r['f1']:>8.3f}{r['pages_per_s']:>10.1f}"
                         f"{r['failures']:>8}")
        base = by_tool["ours"]
        for tool, r in by_tool.items():
            if tool != "ours":
                lines.append(f"  ours vs {tool}: F1 {base['f1'] - r['f1']:+.3f}, speed x{base['pages_per_s'] / r['pages_per_s']:.1f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portals", type=int, default=12, help="farm size (county portals)")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes per group (the best is kept)")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("readability").setLevel(logging.CRITICAL)
    pages = farm_pages(args.portals) + seed_pages()
    if (SHARED / "realpages").is_dir():
        pages += real_pages()
    extractors = {"ours": ours, "trafilatura": with_trafilatura(), "readability": with_readability(), "gne": with_gne()}
    results = run(extractors, pages, args.repeat)
    print(json.dumps(results, indent=2) if args.json else report(results))


if __name__ == "__main__":
    main()
