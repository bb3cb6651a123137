"""The stored text keeps the report's characters; the hash ignores chrome-level differences only."""

from __future__ import annotations

from crawler.textnorm import canonical_text, clean_paragraph, content_hash, hash_key


def test_only_whitespace_is_normalised_in_stored_text():
    assert clean_paragraph("\u3000\u3000一、总体\xa0情况\u200b \n") == "一、总体 情况"
    assert clean_paragraph("《条例》〔2023〕1号——（一）") == "《条例》〔2023〕1号——（一）"


def test_table_rows_keep_their_cells():
    assert clean_paragraph(" 项目 \t 数量\xa0\t\t 备注 ") == "项目\t数量\t\t备注"
    assert clean_paragraph("\t \t") == ""


def test_canonical_text_drops_blank_paragraphs():
    assert canonical_text(["标题", "  ", "\u3000正文。", ""]) == "标题\n正文。"


def test_hash_ignores_width_and_whitespace_but_not_edits():
    base = content_hash("（一）加强领导，2023年审结51件。")
    assert content_hash("(一)加强领导,2023年审结51件.") != base  # a full stop is a real character change
    assert content_hash("(一) 加强领导，２０２３年 审结51件。") == base
    assert content_hash("（一）加强领导，\n2023年审结51件。\u200b") == base
    assert content_hash("（一）加强领导，2023年审结52件。") != base
    assert hash_key("a \t b\n") == "ab"
