"""How body text is scored against a gold text: the one measure the tests and the benchmark share.

Precision, recall and F1 over the multiset of non-blank characters: for Chinese text, where
words are not separated, characters are the natural unit, and whitespace is layout.
"""

from __future__ import annotations

from collections import Counter


def char_prf(predicted: str, gold: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of ``predicted`` against ``gold``; all zero when they share nothing."""
    p = Counter("".join(predicted.split()))
    g = Counter("".join(gold.split()))
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return precision, recall, 2 * precision * recall / (precision + recall)
