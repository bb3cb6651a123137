"""MinHash signatures: computed with numpy, equal to datasketch's, and similar texts found similar."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash

from crawler.textnorm import hash_key
from storage import similarity
from tests.storage.builders import report_text


def test_signature_is_bit_identical_to_datasketch() -> None:
    # Stored signatures and their LSH buckets must stay comparable whichever code computed them.
    for text in (report_text("汉台区", paragraphs=30), report_text("勉县"), "依法行政" * 20):
        shingles = similarity.shingles(hash_key(text))
        reference = MinHash(num_perm=similarity.NUM_PERM, scheme="affine64", hashfunc=int)
        reference.update_batch(shingles.tolist())
        assert similarity.signature(text) == reference.hashvalues.astype("<u8").tobytes()


def test_an_edited_copy_is_similar_and_another_report_is_not() -> None:
    original = report_text("汉台区", paragraphs=30)
    sig = similarity.signature(original)
    edited = similarity.signature(original.replace("第7项", "第七项（修订）"))
    other = similarity.signature(report_text("勉县", paragraphs=30))
    match = similarity.best_match(sig, [("edited", edited), ("other", other)], similarity.DEFAULT_THRESHOLD)
    assert match is not None and match[0] == "edited" and match[1] >= 0.9
    shared = np.intersect1d(similarity.buckets(sig), similarity.buckets(edited))
    assert len(shared) >= similarity.MIN_SHARED_BUCKETS


def test_short_text_has_no_signature() -> None:
    assert similarity.signature("法治政府建设情况报告") is None
