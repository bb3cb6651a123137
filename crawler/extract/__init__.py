"""The extraction every crawl uses: clean report text and metadata from a fetched page.

``extract(body, url)`` is pure (bytes in, :class:`Extraction` out) so that the crawl
pipelines, ``crawler extract`` and the benchmarks all run the same code on the same bytes.
"""

from crawler.extract.attachments import extract_attachment
from crawler.extract.core import extract
from crawler.extract.model import KINDS, Attachment, AttachmentText, Extraction
from crawler.extract.rules import ChromeRules

__all__ = ["KINDS", "Attachment", "AttachmentText", "ChromeRules", "Extraction", "extract", "extract_attachment"]
