"""Messages the bot did not understand, grouped by how alike they are written.

TF-IDF over character n-grams within words (typos and endings still match), then
average-linkage clustering on cosine distance with a fixed cut-off: no randomness, so
the same texts give the same groups every time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

# Texts whose average cosine distance is below this are one group. Chosen on examples
# like those in tests/unit/test_insight_grouping.py: rewordings of one question join,
# different questions and keyboard mash stay apart.
DISTANCE_THRESHOLD = 0.75
# Beyond this many distinct texts the rarest are grouped alone: clustering compares
# every pair, and a week's unclear messages are far fewer.
MAX_TEXTS = 2000


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def group_texts(texts: Sequence[str]) -> list[list[int]]:
    """Return groups of indexes into `texts`, largest first (then by their first text)."""
    distinct: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        distinct.setdefault(_normal(text), []).append(index)
    ordered = sorted(distinct, key=lambda t: (-len(distinct[t]), t))
    clustered, alone = ordered[:MAX_TEXTS], ordered[MAX_TEXTS:]
    labels = _labels(sorted(clustered))
    groups: dict[int, list[int]] = {}
    for text, label in zip(sorted(clustered), labels, strict=True):
        groups.setdefault(label, []).extend(distinct[text])
    result = [sorted(members) for members in groups.values()]
    result += [sorted(distinct[text]) for text in alone]
    return sorted(result, key=lambda m: (-len(m), _normal(texts[m[0]])))


def _labels(texts: list[str]) -> list[int]:
    """A group number for each text."""
    if len(texts) < 2:
        return [0] * len(texts)
    vectors = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True
    ).fit_transform(texts)
    model = AgglomerativeClustering(
        n_clusters=None,
        distance_threshold=DISTANCE_THRESHOLD,
        affinity="cosine",
        linkage="average",
    )
    return model.fit_predict(np.asarray(vectors.todense())).tolist()
