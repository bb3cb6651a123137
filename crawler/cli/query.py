"""The archive's query commands for downstream teams: search, show, versions, diff, export, coverage.

Every command reads only (it never creates or migrates a database), takes ``--db``, and
turns an archive problem into one line on stderr with exit status 1. Output is coloured with
rich on a terminal and plain when piped; ``--json`` gives machine-readable output.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import functools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from crawler.cli.options import db_option, json_option
from storage import query
from storage.errors import ArchiveError

STATE_STYLES = {"present": "green", "late": "yellow", "removed": "red", "missing": "dim"}


def archive_command(function: Callable[..., None]) -> Callable[..., None]:
    """Report an :class:`ArchiveError` as one line and exit 1, instead of a traceback."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            function(*args, **kwargs)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


@click.command("search")
@click.argument("text")
@click.option("--region", default=None, help="6-digit division code or part of a region name (汉台区, 汉中市).")
@click.option("--year", type=int, default=None, help="Report year.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@db_option
@json_option
@archive_command
def search(text: str, region: str | None, year: int | None, limit: int, db_url: str | None, as_json: bool) -> None:
    """Full-text search over the latest version of every report, best match first.

    Two-character terms work (复议, 普法); several words must all appear.

    Example: crawler search 行政复议 --region 汉中市 --year 2023
    """
    hits = query.search(query.open_reader(db_url), text, region=region, year=year, limit=limit)
    if as_json:
        click.echo(_json([
            {
                "document_id": hit.document_id, "version": hit.version, "url": hit.url, "title": hit.title,
                "region": hit.region, "region_code": hit.region_code, "issuer": hit.issuer,
                "report_year": hit.report_year, "score": hit.score, "snippet": hit.snippet.text,
                "highlights": hit.snippet.highlights,
            }
            for hit in hits
        ]))
        return
    console = _console()
    if not hits:
        console.print(f"no report contains {escape(text)!r}")
        return
    for rank, hit in enumerate(hits, 1):
        heading = Text(f"{rank}. ", style="bold")
        heading.append(hit.title or "(untitled)", style="bold")
        heading.append(f"  #{hit.document_id} v{hit.version}  {hit.region or ''} {hit.report_year or ''}", style="cyan")
        snippet = Text(hit.snippet.text)
        for start, end in hit.snippet.highlights:
            snippet.stylize("bold black on yellow", start, end)
        console.print(heading)
        console.print(Text(hit.url, style="dim"))
        console.print(snippet)
        console.print()


@click.command("show")
@click.argument("doc")
@click.option("--version", "version", type=click.IntRange(1), default=None, help="Version number (default: the latest).")
@db_option
@json_option
@archive_command
def show(doc: str, version: int | None, db_url: str | None, as_json: bool) -> None:
    """Print a report (by document id or any of its URLs) with its metadata.

    Example: crawler show 42 --version 1
    """
    document = query.show(query.open_reader(db_url), doc, version)
    if as_json:
        click.echo(_json(dataclasses.asdict(document)))
        return
    console = _console()
    info = document.version
    console.print(Text(info.title or "(untitled)", style="bold"))
    fields = {
        "document": f"#{document.document_id}, version {info.version} of {document.latest_version}",
        "status": document.status + (f" since {document.removed_since:%Y-%m-%d}" if document.removed_since else ""),
        "region": f"{document.region or ''} {document.region_code or ''}".strip(),
        "issuer": document.issuer,
        "report year": document.report_year,
        "kind": document.kind,
        "published": info.published,
        "seen": f"{info.first_seen:%Y-%m-%d %H:%M} … {info.last_seen:%Y-%m-%d %H:%M} UTC",
        "urls": "\n".join(document.urls),
        "near duplicate of": document.near_duplicate_of and f"#{document.near_duplicate_of}",
        **{key: value for key, value in document.metadata.items()},
        "content hash": info.content_hash,
    }
    table = Table.grid(padding=(0, 2))
    for key, value in fields.items():
        if value not in (None, ""):
            table.add_row(Text(key, style="cyan"), Text(str(value)))
    console.print(table)
    console.print()
    for paragraph in document.paragraphs:
        console.print(Text(paragraph))
    for attachment in document.attachments:
        console.print(Text(f"attachment: {attachment['name'] or ''} {attachment['url']} ({attachment['status']})", style="dim"))


@click.command("versions")
@click.argument("doc")
@db_option
@json_option
@archive_command
def versions(doc: str, db_url: str | None, as_json: bool) -> None:
    """List every version of a report, oldest first.

    Example: crawler versions http://www.example.gov.cn/art/2024/3/1/art_1_2.html
    """
    rows = query.versions(query.open_reader(db_url), doc)
    if as_json:
        click.echo(_json([dataclasses.asdict(row) for row in rows]))
        return
    table = Table("version", "first seen", "last seen", "published", "chars", "content hash", "title")
    for row in rows:
        table.add_row(
            str(row.version), f"{row.first_seen:%Y-%m-%d %H:%M}", f"{row.last_seen:%Y-%m-%d %H:%M}",
            str(row.published or ""), str(row.length), row.content_hash[:12], row.title or "",
        )
    _console().print(table)


@click.command("diff")
@click.argument("doc")
@click.argument("a", type=click.IntRange(1))
@click.argument("b", type=click.IntRange(1))
@click.option("--context", type=click.IntRange(0), default=1, show_default=True, help="Unchanged paragraphs shown around each change.")
@db_option
@archive_command
def diff(doc: str, a: int, b: int, context: int, db_url: str | None) -> None:
    """Show what changed between versions A and B of a report, paragraph by paragraph.

    Example: crawler diff 42 1 2
    """
    console = _console()
    styles = {"+": "green", "-": "red", "@": "cyan"}
    for line in query.diff(query.open_reader(db_url), doc, a, b, context=context):
        style = "bold" if line.startswith(("+++", "---")) else styles.get(line[:1])
        console.print(Text(line, style=style or ""))


EXPORT_FORMATS = ("csv", "jsonl", "parquet")


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: stdout; required for parquet).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Only versions first seen on or after this day.")
@click.option("--region", default=None, help="6-digit division code or part of a region name.")
@click.option("--year", type=int, default=None, help="Report year.")
@click.option("--all-versions", is_flag=True, help="Every version, not only the latest of each report.")
@db_option
@archive_command
def export(fmt: str, output: Path | None, since: dt.datetime | None, region: str | None, year: int | None,
           all_versions: bool, db_url: str | None) -> None:
    """Export reports as CSV, JSON lines or Parquet, streaming (any archive size fits in memory).

    Example: crawler export --format parquet -o reports.parquet --year 2023
    """
    rows = query.export_rows(query.open_reader(db_url), since=since.date() if since else None, region=region,
                             year=year, all_versions=all_versions)
    if fmt == "parquet":
        if output is None:
            raise click.UsageError("--format parquet needs --output FILE")
        count = _write_parquet(rows, output)
    else:
        target = output.open("w", encoding="utf-8", newline="") if output else contextlib.nullcontext(sys.stdout)
        with target as stream:
            count = (_write_csv if fmt == "csv" else _write_jsonl)(rows, stream)
    if output:
        click.echo(f"{count} rows written to {output}", err=True)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value for key, value in row.items()}


def _write_jsonl(rows: Iterator[dict[str, Any]], stream: IO[str]) -> int:
    count = 0
    for count, row in enumerate(rows, 1):
        stream.write(json.dumps(_plain(row), ensure_ascii=False) + "\n")
    return count


def _write_csv(rows: Iterator[dict[str, Any]], stream: IO[str]) -> int:
    writer = csv.DictWriter(stream, fieldnames=query.EXPORT_FIELDS)
    writer.writeheader()
    count = 0
    for count, row in enumerate(rows, 1):
        writer.writerow({**_plain(row), "urls": " ".join(row["urls"])})
    return count


def _write_parquet(rows: Iterator[dict[str, Any]], path: Path) -> int:
    # pyarrow takes a second to import: only the parquet export pays for it.
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([
        ("document_id", pa.int64()), ("url", pa.string()), ("urls", pa.list_(pa.string())), ("region", pa.string()),
        ("region_code", pa.string()), ("issuer", pa.string()), ("report_year", pa.int32()), ("kind", pa.string()),
        ("status", pa.string()), ("version", pa.int32()), ("title", pa.string()), ("content_hash", pa.string()),
        ("published", pa.date32()), ("first_seen", pa.timestamp("us", tz="UTC")),
        ("last_seen", pa.timestamp("us", tz="UTC")), ("text", pa.string()),
    ])
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        for batch in query.batched(rows):
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


@click.command("coverage")
@click.option("--years", default=None, metavar="Y1,Y2", help="Report years (default: every year in the archive).")
@click.option("--region", default=None, help="Code prefix (61, 6107) or part of a province, city or county name.")
@click.option("--csv", "as_csv", is_flag=True, help="The full county × year matrix as CSV on stdout.")
@db_option
@json_option
@archive_command
def coverage(years: str | None, region: str | None, as_csv: bool, db_url: str | None, as_json: bool) -> None:
    """Which counties published their annual rule-of-law report, year by year.

    Each county-level division of China (not only the configured portals) is present, late
    (first published after 1 April of the next year), removed, or missing.

    Example: crawler coverage --years 2022,2023 --region 陕西省
    """
    try:
        wanted = [int(y) for y in years.split(",")] if years else None
    except ValueError as exc:
        raise click.BadParameter(f"{years!r} is not a comma-separated list of years", param_hint="--years") from exc
    matrix = query.coverage(query.open_reader(db_url), years=wanted, region=region)
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["region_code", "province", "city", "county", *matrix.years])
        for row in matrix.rows:
            writer.writerow([row.region_code, row.province, row.city or "", row.county, *(row.states[y] for y in matrix.years)])
        return
    if as_json:
        click.echo(_json({"years": matrix.years, "totals": matrix.totals(),
                          "rows": [dataclasses.asdict(row) for row in matrix.rows]}))
        return
    console = _console()
    totals = Table("report year", *query.COVERAGE_STATES, "counties", title="Coverage of county-level divisions")
    for year, counts in matrix.totals().items():
        totals.add_row(str(year), *(Text(str(counts[s]), style=STATE_STYLES[s]) for s in query.COVERAGE_STATES),
                       str(len(matrix.rows)))
    console.print(totals)
    if region and matrix.rows:
        detail = Table("code", "county", *(str(y) for y in matrix.years))
        for row in matrix.rows:
            detail.add_row(row.region_code, f"{row.city or row.province}{row.county}",
                           *(Text(row.states[y], style=STATE_STYLES[row.states[y]]) for y in matrix.years))
        console.print(detail)
