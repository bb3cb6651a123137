"""``crawler portal``: write a new portal config, list the configs, check one against the live site.

``check`` runs the portal's real spider (same settings, middlewares and extraction as a crawl)
with the archive switched off (:mod:`crawler.check`), so an operator sees what a crawl would
harvest — each list page's items and further pages, report candidates with year and title,
rejected pages, an extraction preview — and why it might harvest nothing (robots.txt,
anti-bot, soft 404s, encoding) before scheduling it. ``check --url`` does the same for a site
with no config yet.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crawler.check import (PREVIEW_CHARS, CheckInputError, CheckResult, check_named, check_portal, check_settings,
                           portal_for_urls)
from crawler.cli.options import json_option, portals_dir_option
from crawler.portals import FAMILIES, PortalConfigError, load_portal, load_portals, skeleton
from crawler.regions import Region


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


@portal.command("check")
@click.argument("name", required=False)
@click.option("--url", "urls", metavar="URL", multiple=True,
              help="Check a portal with no config yet from this list page (its host is the portal); repeatable.")
@click.option("--family", type=click.Choice(FAMILIES), default=None,
              help="With --url: the CMS family to read the pages as.  [default: auto]")
@portals_dir_option
@json_option
@click.option("--max-pages", type=click.IntRange(1), default=100, show_default=True,
              help="Stop after this many responses (a check is a sample, not a crawl).")
def check(name: str | None, urls: tuple[str, ...], family: str | None, portals_dir: Path, as_json: bool,
          max_pages: int) -> None:
    """Fetch portal NAME (or the page at --url) live without writing anything, and show what a crawl would find.

    \b
    Examples:
      crawler portal check hanzhong_hantai
      crawler portal check --url http://htq.gov.cn/hzshtqzf/zwgk/zdly/fzzfjssjfcj/ --family auto --json

    Exit code 0 when report candidates were found, 1 when the check found nothing or the
    portal is blocked or broken, 2 when the config or the command line is invalid.
    """
    if (name is None) == (not urls):
        raise click.UsageError("give either a portal NAME or --url URL")
    if name is not None and family is not None:
        raise click.UsageError("--family goes with --url; a named portal's family is in its config")
    settings = check_settings(portals_dir=portals_dir, max_pages=max_pages)
    if urls:
        try:
            result = check_portal(portal_for_urls(urls, family or "auto"), settings)
        except CheckInputError as exc:
            raise click.BadParameter(str(exc), param_hint="--url") from None
    else:
        try:
            load_portal(portals_dir / f"{name}.toml")
            result = check_named(name, settings)
        except PortalConfigError as exc:
            for error in exc.errors:
                click.echo(f"invalid config: {error}", err=True)
            raise SystemExit(2) from None
        except CheckInputError as exc:
            click.echo(f"invalid config: {exc}", err=True)
            raise SystemExit(2) from None
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_check(Console(), result)
    if not result.found:
        raise SystemExit(1)


def _table(title: str, *columns: str) -> Table:
    table = Table(title=escape(title))
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _print_check(console: Console, result: CheckResult) -> None:
    """Candidates first (what a crawl would archive), then each list page read, the rejected pages and the problems."""
    console.print(f"[bold]{escape(result.portal)}[/] ({escape(result.family)}): {escape(str(result.status))}, "
                  f"{result.pages_fetched} pages fetched")
    candidates = _table(f"report candidates ({len(result.candidates)})", "year", "title", "url")
    for c in result.candidates:
        candidates.add_row(str(c["report_year"] or "?"), Text(c["title"] or ""), Text(c["url"]))
    console.print(candidates)
    for page in result.lists:
        items = _table(f"list {page.url} ({page.family}): {len(page.items)} items", "date", "title", "url")
        for link in page.items:
            items.add_row(link.date or "", Text(link.title), Text(link.url))
        console.print(items)
        for url in page.next:
            console.print(Text(f"  next: {url}"))
    if result.rejected:
        rejected = _table(f"rejected pages ({len(result.rejected)})", "why", "title", "url")
        for r in result.rejected:
            rejected.add_row(r.get("kind") or f"by {r['reason']}", Text(r["title"] or ""), Text(r["url"]))
        console.print(rejected)
    if result.candidates:
        first = result.candidates[0]
        console.print(f"[bold]extraction preview[/] ({escape(first['url'])}, encoding {first['encoding']}):")
        console.print(Text(first["preview"] + ("…" if len(first["preview"]) >= PREVIEW_CHARS else "")))
    for problem in result.problems:
        console.print(f"[yellow]problem[/] {escape(problem)}")
