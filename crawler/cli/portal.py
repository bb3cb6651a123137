"""``crawler portal``: write a new portal config, list the configs, check one against the live site.

``check`` runs the portal's real spider (same settings, middlewares and extraction as a crawl)
with the archive switched off, so an operator sees what a crawl would harvest — report
candidates with year and title, rejected pages with their kind, an extraction preview — and
why it might harvest nothing (robots.txt, anti-bot, soft 404s, encoding) before scheduling it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crawler.cli.options import json_option, portals_dir_option
from crawler.items import ReportGone, ReportPage
from crawler.portals import FAMILIES, PortalConfigError, load_portal, load_portals, skeleton
from crawler.regions import Region
from crawler.run import Progress

PREVIEW_CHARS = 300


@click.group()
def portal() -> None:
    """Add, list and check portal configs (TOML files in the portals directory)."""


@portal.command("new")
@click.argument("name")
@click.option("--url", required=True, help="A column or list page of the portal that lists its reports.")
@click.option("--family", type=click.Choice(FAMILIES), default="auto", show_default=True,
              help="CMS family (see docs/adding-a-portal.md); 'auto' detects it per list page.")
@click.option("--title", default="", help="The portal's own name, e.g. 汉中市汉台区人民政府.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@portals_dir_option
def new(name: str, url: str, family: str, title: str, force: bool, portals_dir: Path) -> None:
    """Write a config skeleton NAME.toml for the portal at URL.

    \b
    Example:
      crawler portal new hanzhong_hantai --url http://htq.gov.cn/hzshtqzf/zwgk/zdly/fzzfjssjfcj/ --family shtml
    """
    path = portals_dir / f"{name}.toml"
    if path.exists() and not force:
        raise click.UsageError(f"{path} exists; use --force to overwrite it")
    text = skeleton(name, url, family, title=title)
    portals_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path}")
    click.echo("next: fill in [region] (province, city, county, code), then")
    click.echo(f"  crawler portal check {name} --portals-dir {portals_dir}")


@portal.command("list")
@portals_dir_option
@json_option
def list_(portals_dir: Path, as_json: bool) -> None:
    """List the valid portals and the errors of the invalid files."""
    portals, errors = load_portals(portals_dir)
    if as_json:
        click.echo(json.dumps({"portals": [p.model_dump(mode="json") for p in portals],
                               "errors": [str(e) for e in errors]}, ensure_ascii=False, indent=2))
    else:
        table = Table(title=escape(f"portals in {portals_dir}"))
        for column in ("name", "family", "region", "verified", "start URLs"):
            table.add_column(column)
        for p in portals:
            table.add_row(Text(p.name), p.family, Text(Region(**p.region.model_dump()).full_name),
                          "yes" if p.verified else "no", str(len(p.start_urls)))
        console = Console()
        console.print(table)
        for error in errors:
            console.print(f"[red]invalid[/] {escape(str(error))}")
    if errors:
        raise SystemExit(1)


class CheckCollector(Progress):
    """Collects what a dry-run crawl of one portal finds (the run's progress hooks)."""

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.gone: list[dict[str, Any]] = []
        self.summary: dict[str, Any] = {}

    def item_scraped(self, name: str, item: Any) -> None:
        if isinstance(item, ReportPage):
            extraction = item.extraction
            self.reports.append({
                "url": item.url,
                "title": extraction.title or item.list_title,
                "report_year": extraction.report_year,
                "published": extraction.published,
                "issuer": extraction.issuer,
                "region": extraction.region,
                "parts": len(item.urls),
                "attachments": [a.url for a in item.attachments],
                "text_from": item.text_from or "page",
                "encoding": extraction.encoding,
                "problems": extraction.problems,
                "preview": extraction.text[:PREVIEW_CHARS],
            })
        elif isinstance(item, ReportGone):
            self.gone.append({"url": item.url, "reason": item.reason})

    def item_dropped(self, name: str, item: Any, reason: str) -> None:
        if isinstance(item, ReportPage) and item.extraction is not None:
            extraction = item.extraction
            self.rejected.append({"url": item.url, "title": extraction.title or item.list_title,
                                  "kind": extraction.kind, "problems": extraction.problems})

    def portal_finished(self, name: str, summary: dict[str, Any]) -> None:
        self.summary = summary


@portal.command("check")
@click.argument("name")
@portals_dir_option
@json_option
@click.option("--max-pages", type=click.IntRange(1), default=100, show_default=True,
              help="Stop after this many responses (a check is a sample, not a crawl).")
def check(name: str, portals_dir: Path, as_json: bool, max_pages: int) -> None:
    """Fetch portal NAME live without writing to the archive, and show what a crawl would find.

    Exit code 0 when report candidates were found, 1 when the check found nothing or the
    portal is blocked or broken, 2 when the config is invalid.
    """
    from crawler.run import crawl_settings, run_portals, select_portals

    path = portals_dir / f"{name}.toml"
    try:
        load_portal(path)
    except PortalConfigError as exc:
        for error in exc.errors:
            click.echo(f"invalid config: {error}", err=True)
        raise SystemExit(2) from None
    settings = crawl_settings(
        portals_dir=portals_dir,
        archive=False,
        log_level="ERROR",
        overrides={"HTTPCACHE_ENABLED": False, "CLOSESPIDER_PAGECOUNT": max_pages},
    )
    # Through the loader, so a portal with a spider of its own is checked with that spider.
    try:
        chosen, _, loader = select_portals(settings, [name])
    except KeyError as exc:
        click.echo(f"invalid config: {exc.args[0]}", err=True)
        raise SystemExit(2) from None
    collector = CheckCollector()
    run_portals(chosen, settings, loader=loader, progress=collector)
    summary = collector.summary
    problems = list(summary.get("problems", []))
    if summary.get("list_encoding"):
        problems.append(f"encoding: list pages decoded as {summary['list_encoding']}")
    if not collector.reports and not any(p.startswith("nothing_") for p in problems):
        problems.append("nothing_found: no page the extraction classifies as an annual rule-of-law report")
    result = {
        "portal": name,
        "status": summary.get("status"),
        "pages_fetched": summary.get("pages_fetched", 0),
        "reports": collector.reports,
        "rejected": collector.rejected,
        "gone": collector.gone,
        "problems": problems,
    }
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_check(Console(), result)
    if not collector.reports or result["status"] in ("blocked", "broken"):
        raise SystemExit(1)


def _print_check(console: Console, result: dict[str, Any]) -> None:
    console.print(f"[bold]{escape(result['portal'])}[/]: {escape(str(result['status']))}, {result['pages_fetched']} pages fetched")
    reports = Table(title=f"report candidates ({len(result['reports'])})")
    reports.add_column("year")
    reports.add_column("title", overflow="fold")
    reports.add_column("url", overflow="fold")
    for r in result["reports"]:
        reports.add_row(str(r["report_year"] or "?"), Text(r["title"] or ""), Text(r["url"]))
    console.print(reports)
    if result["rejected"]:
        rejected = Table(title=f"rejected pages ({len(result['rejected'])})")
        rejected.add_column("kind")
        rejected.add_column("title", overflow="fold")
        rejected.add_column("url", overflow="fold")
        for r in result["rejected"]:
            rejected.add_row(r["kind"], Text(r["title"] or ""), Text(r["url"]))
        console.print(rejected)
    if result["reports"]:
        first = result["reports"][0]
        console.print(f"[bold]extraction preview[/] ({escape(first['url'])}, encoding {first['encoding']}):")
        console.print(Text(first["preview"] + ("…" if len(first["preview"]) >= PREVIEW_CHARS else "")))
    for problem in result["problems"]:
        console.print(f"[yellow]problem[/] {escape(problem)}")
