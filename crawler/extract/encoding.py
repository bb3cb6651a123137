"""Bytes to text for pages whose declared charset may be missing or wrong.

County portals declare ``gb2312`` and send GBK, declare nothing, or were saved as UTF-8
under a ``charset=gb2312`` meta. The order below trusts evidence over declarations: a
portal's configured override, a BOM, bytes that are valid UTF-8 (multi-byte UTF-8 is almost
never valid by accident), then the declaration when it decodes cleanly *and* plausibly, and
only then a statistical guess (charset-normalizer, UnicodeDammit as last resort).
"""

from __future__ import annotations

import codecs
import logging
import re

import charset_normalizer
from bs4.dammit import EncodingDetector, UnicodeDammit

log = logging.getLogger(__name__)

# Declared names widened to the superset that real pages actually use.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb18030": "gb18030",
              "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cp936": "gb18030"}
_GB_FAMILY = {"gb18030"}
_CANDIDATES = ["gb18030", "big5hkscs", "utf_8"]
_SINGLE_BYTE = {"iso8859-1", "cp1252", "iso8859-15", "ascii"}  # codecs.lookup() names
_LATIN_RUN = re.compile("[\u00c0-\u00ff\u0080-\u009f]{4,}")
# Share of CJK characters a GB-decoded page must have inside GB2312 (the common 6,763): a
# Big5 page decoded as GBK turns into rare characters and fails this.
_MIN_COMMON_SHARE = 0.9
_SAMPLE = 6000  # characters of the page looked at
_CJK_RUN = re.compile("[\u4e00-\u9fff]+")  # runs, not single characters: far fewer matches to join


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("'\"").lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def charset_from_content_type(content_type: str | None) -> str | None:
    """The ``charset=`` parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("'\"") or None
    return None


def _plausible(text: str, encoding: str) -> bool:
    """Whether ``text`` is a believable decode: real Chinese for a GB-family codec (see
    _MIN_COMMON_SHARE), and no run of accented Latin letters for a Western single-byte codec,
    which is what GBK or UTF-8 bytes under a ``charset=iso-8859-1`` look like."""
    if encoding in _SINGLE_BYTE:
        return _LATIN_RUN.search(text) is None
    if encoding not in _GB_FAMILY:
        return True
    cjk = "".join(_CJK_RUN.findall(text, 0, _SAMPLE))
    if len(cjk) < 20:
        return True
    common = len(cjk) - cjk.encode("gb2312", errors="replace").count(b"?")
    return common / len(cjk) >= _MIN_COMMON_SHARE


def utf8_body(body: bytes, content_type: str | None = None, override: str | None = None) -> tuple[bytes, str]:
    """The body as UTF-8 bytes for the parser, and the encoding it was in.

    A body that already is UTF-8 (the common case) is passed through without decoding it twice.
    """
    if override is None and not body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
        except UnicodeDecodeError:
            pass
        else:
            return body.removeprefix(codecs.BOM_UTF8), "utf-8"
    text, encoding = decode_body(body, content_type, override)
    return text.encode("utf-8", errors="replace"), encoding


def decode_body(body: bytes, content_type: str | None = None, override: str | None = None) -> tuple[str, str]:
    """Decode an HTML body; return ``(text, encoding name)``.

    ``override`` is a portal's configured ``encoding`` and wins whenever it is a known codec.
    """
    forced = _canonical(override)
    if forced:
        return body.decode(forced, errors="replace"), forced
    for bom, name in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(name, errors="replace").lstrip("\ufeff"), name
    try:
        # An incremental decoder forgives a character cut off at the very end (a truncated body).
        return codecs.getincrementaldecoder("utf-8")().decode(body, final=False), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = _canonical(charset_from_content_type(content_type)) or _canonical(
        EncodingDetector.find_declared_encoding(body[:4096], is_html=True)
    )
    if declared and declared != "utf-8":
        try:
            text = body.decode(declared)
        except UnicodeDecodeError:
            text = None
        if text is not None and _plausible(text, declared):
            return text, declared
        log.debug("declared charset %s does not fit the bytes; guessing", declared)
    return _guess(body)


def _guess(body: bytes) -> tuple[str, str]:
    """charset-normalizer among the codecs Chinese portals use, then UnicodeDammit, then UTF-8 with replacements."""
    best = charset_normalizer.from_bytes(body, cp_isolation=_CANDIDATES).best()
    if best is None:  # a body cut off mid-character ends in a lone lead byte that every codec refuses
        best = charset_normalizer.from_bytes(body[:-1], cp_isolation=_CANDIDATES).best()
    if best is not None:
        name = _canonical(best.encoding) or best.encoding
        text = body.decode(name, errors="replace")
        if _plausible(text, name):
            return text, name
    dammit = UnicodeDammit(body, known_definite_encodings=["gb18030"], is_html=True)
    if dammit.unicode_markup is not None:
        return dammit.unicode_markup, dammit.original_encoding or "unknown"
    return body.decode("utf-8", errors="replace"), "utf-8"
