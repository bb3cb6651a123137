"""``crawler extract FILE...``: run the crawl's extraction on saved pages and print JSON.

Operators use it to see what the archive would store for a page; checks and the benchmark
use it to run many files in one process. A file that cannot be read is reported on stderr
by name and the command exits non-zero, but every other file is still processed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from crawler.extract import extract as extract_page

_TYPES = {
    ".html": "text/html", ".htm": "text/html", ".shtml": "text/html", ".xhtml": "text/html", ".jsp": "text/html",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def content_type_of(path: Path) -> str | None:
    """The Content-Type a server would have sent for this file, from its extension (the bytes are sniffed too)."""
    return _TYPES.get(path.suffix.lower())


@click.command("extract")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--url", default=None, help="URL the page was fetched from (dates and links are read from it); "
              "applies to every FILE. Default: each file's file:// URL.")
@click.option("--encoding", default=None, help="Charset to use instead of the page's own declaration.")
@click.option("--jsonl", is_flag=True, help="One compact JSON object per line instead of pretty JSON.")
def extract_command(files: tuple[Path, ...], url: str | None, encoding: str | None, jsonl: bool) -> None:
    """Extract report text and metadata from saved HTML, PDF or DOCX files.

    \b
    Examples:
      crawler extract page.html --url http://www.example.gov.cn/art/2024/3/1/art_1_2.html
      crawler extract saved/*.html --jsonl > extractions.jsonl
    """
    errors = Console(stderr=True)
    failed = 0
    # A progress bar only for a person watching many files; stdout stays pure JSON.
    with Progress(console=errors, transient=True, disable=len(files) < 2 or not errors.is_terminal) as progress:
        task = progress.add_task("extracting", total=len(files))
        for path in files:
            progress.advance(task)
            try:
                body = path.read_bytes()
            except OSError as exc:
                message = escape(f"crawler extract: cannot read {path}: {exc.strerror or exc}")
                errors.print(f"[red]{message}[/red]", highlight=False, soft_wrap=True)
                failed += 1
                continue
            page_url = url or path.resolve().as_uri()
            result = extract_page(body, page_url, content_type_of(path), encoding=encoding).to_dict()
            result["file"] = str(path)
            if jsonl:
                sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
            else:
                click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    if failed:
        raise SystemExit(1)


extract = extract_command
