"""Test material: the five labelled seed reports wrapped into realistic portal pages, and the real pages.

The seeds are text files whose lines ``labels.json`` marks as chrome, title, metadata or body.
:func:`seed_page` turns one into HTML the way county portals build it, in two layouts:
``"structured"`` puts furniture where templates put it (nav bar, breadcrumb, 信息公开 table,
footer), ``"inline"`` drops every chrome and metadata line into the body container as plain
paragraphs, so only the rule table and link density can remove them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
REALPAGES = SHARED / "realpages"


@dataclass(frozen=True)
class Seed:
    name: str
    lines: tuple[str, ...]  # 1-based in labels.json; lines[0] is line 1
    labels: dict

    def numbered(self, key: str) -> list[str]:
        return [self.lines[n - 1] for n in self.labels[key]]

    @property
    def expected(self) -> dict:
        return self.labels["expected"]

    @property
    def url(self) -> str:
        return self.expected.get("source_url") or f"http://127.0.0.1/seed/{self.name[:3]}.html"


@cache
def seeds() -> tuple[Seed, ...]:
    labels = json.loads((SEEDS / "labels.json").read_text(encoding="utf-8"))
    return tuple(
        Seed(name, tuple((SEEDS / name).read_text(encoding="utf-8").split("\n")), labels[name])
        for name in sorted(labels)
    )


def _is_menu(line: str) -> bool:
    return len(line.split()) >= 4 and not any(ch in line for ch in "，。:：")


def _chrome_html(line: str) -> str:
    """A chrome line as a portal shows it: menus and breadcrumbs are links, the rest text."""
    if _is_menu(line):
        return "<p>" + " ".join(f'<a href="/c{i}/">{escape(w)}</a>' for i, w in enumerate(line.split())) + "</p>"
    if ">" in line and ("位置" in line):
        label, _, trail = line.partition(":") if ":" in line else line.partition("：")
        crumbs = [c.strip() for c in trail.replace(">>", ">").split(">") if c.strip()]
        links = " &gt; ".join(f'<a href="/p{i}/">{escape(c)}</a>' for i, c in enumerate(crumbs))
        return f"<div>{escape(label)}: {links}</div>"
    return f"<p>{escape(line)}</p>"


def _meta_html(lines: list[str]) -> str:
    """Metadata lines: ``| a: b | c: d |`` rows become a 信息公开 table, others stay lines."""
    rows, plain = [], []
    for line in lines:
        if line.strip().startswith("|"):
            cells = []
            for cell in line.strip().strip("|").split("|"):
                label, sep, value = cell.partition(":")
                if sep:
                    cells.append(f"<th>{escape(label.strip())}：</th><td>{escape(value.strip())}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        else:
            plain.append(f"<span>{escape(line)}</span> ")
    table = f'<table class="xxgk-table">{"".join(rows)}</table>' if rows else ""
    info = f'<div class="info">{"".join(plain)}</div>' if plain else ""
    return table + info


def seed_page(seed: Seed, layout: str, site: str = "人民政府门户网站") -> bytes:
    """The seed as an HTML page in ``layout`` (``structured`` or ``inline``); UTF-8 bytes."""
    labels = seed.labels
    title = seed.numbered("lines_title")
    body_start = min(labels["lines_body"])
    chrome_before = [seed.lines[n - 1] for n in labels["lines_chrome"] if n < body_start]
    chrome_after = [seed.lines[n - 1] for n in labels["lines_chrome"] if n > body_start]
    body = "\n".join(f"<p>\u3000\u3000{escape(line)}</p>" for line in seed.numbered("lines_body"))
    heading = f"<h1>{escape(title[0])}</h1>" if title else ""
    head_title = f"<title>{escape(title[0])}_{site}</title>" if title else ""
    meta = seed.numbered("lines_meta")
    if layout == "structured":
        top = "".join(_chrome_html(line) for line in chrome_before)
        bottom = "".join(_chrome_html(line) for line in chrome_after)
        page = (
            f'<div class="header"><div class="logo">{site}</div></div><div class="nav">{top}</div>'
            f'<div class="main"><div class="article">{heading}{_meta_html(meta)}'
            f'<div class="content">{body}</div></div></div>'
            f'<div class="footer">{bottom}<p>版权所有：{site}</p></div>'
        )
    elif layout == "inline":
        top = "".join(_chrome_html(line) for line in chrome_before)
        bottom = "".join(_chrome_html(line) for line in chrome_after)
        meta_lines = "".join(f"<p>{escape(line)}</p>" for line in meta if not line.startswith("|"))
        table = _meta_html([line for line in meta if line.startswith("|")])
        page = f'<div id="wrapper">{top}{heading}{table}{meta_lines}{body}{bottom}</div>'
    else:
        raise ValueError(f"unknown layout {layout!r}")
    html = f'<!DOCTYPE html><html><head><meta charset="utf-8">{head_title}</head><body>{page}</body></html>'
    return html.encode("utf-8")


@cache
def realpages() -> tuple[tuple[str, bytes, dict], ...]:
    """``(name, bytes, gold)`` for every saved real page."""
    return tuple(
        (path.stem, path.read_bytes(), json.loads(path.with_suffix(".json").read_text(encoding="utf-8")))
        for path in sorted(REALPAGES.glob("*.html"))
    )


def assert_labelled_metadata(result, expected: dict) -> None:
    """The metadata ``labels.json`` gives for a seed, exactly (``published`` is checked by each test)."""
    assert result.title == expected["title"]
    assert result.report_year == expected["report_year"]
    assert result.region == expected["region"]
    assert result.issuer == expected["issuer"]
    assert result.index_no == expected.get("index_no")
    assert result.doc_no == expected.get("doc_no")
    assert result.signed == expected.get("signed")
