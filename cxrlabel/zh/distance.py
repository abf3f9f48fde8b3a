"""Normalised Levenshtein distances between clauses, over tokens or characters, via rapidfuzz.

Distances are normalised (edit distance / length of the longer clause, in [0, 1]) so a
one-word difference between two long clauses counts for less than between two short ones,
and so `--max-distance` means the same thing for every clause length.

Token mode maps each token to one private code point, so rapidfuzz's fast string kernels
compute token-level edit distance.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist
from tqdm import tqdm

from .settings import ALL_CORES

# Code points from plane 2 upwards: no surrogates, room for ~900k distinct tokens.
_FIRST_CODE = 0x20000
_LAST_CODE = 0x10FFFF
ROW_CHUNK = 2048


# Distance to a medoid only asks whether tokens are equal, so when assigning new clauses
# every token the medoids lack can share one code; the encoder then stops growing.
_UNKNOWN = chr(_FIRST_CODE - 1)


class TokenEncoder:
    """Gives every distinct token one character."""

    def __init__(self) -> None:
        self._codes: dict[str, str] = {}

    def encode(self, tokens: Iterable[str], grow: bool = True) -> str:
        """With grow=False, tokens never seen before all map to one shared unknown code."""
        out = []
        for token in tokens:
            code = self._codes.get(token)
            if code is None:
                if not grow:
                    code = _UNKNOWN
                elif _FIRST_CODE + len(self._codes) > _LAST_CODE:
                    raise OverflowError("more distinct tokens than private code points")
                else:
                    code = self._codes[token] = chr(_FIRST_CODE + len(self._codes))
            out.append(code)
        return "".join(out)


class FindingGuide:
    """Steers the distance with the known-findings lexicon (lexicons/zh/known_findings.tsv).

    Two clauses the lexicon gives different findings are kept apart (distance 1), and two it gives the
    same finding are drawn together (distance halved): 肋膈角变钝 and 胸腔积液 share nothing as strings but
    one finding, while 肋骨骨折 and 肋膈角变钝 share 肋 and nothing else. Clauses the lexicon does not
    know keep their plain edit distance, so unlisted findings are still mined.
    """

    SAME_FACTOR = 0.5
    RELATED = 0.5  # a finding and the related one it is measured as (finding_groups.tsv): the farthest wording

    def __init__(self, known: Iterable[tuple[str, str]], skip_labels: Iterable[str] = (),
                 groups: Mapping[str, str] | None = None) -> None:
        skip = set(skip_labels)
        self._known = [(pattern, label) for pattern, label in known if label not in skip]
        self._groups = dict(groups or {})  # a finding -> the broader finding it is measured as (迂曲 -> 硬化)
        self._ids: dict[str, int] = {}
        self._group_ids: list[int] = []  # finding id -> the id its distances are measured as
        self._by_item: dict[str, int] = {}

    def _id(self, label: str) -> int:
        if label not in self._ids:
            group = self._groups.get(label, label)
            measured = self._id(group) if group != label else len(self._ids)
            self._ids[label] = len(self._ids)
            self._group_ids.append(measured)
        return self._ids[label]

    def finding(self, text: str) -> int:
        """Id of the finding of the longest known pattern in `text` (earliest listed on a tie), -1 if none."""
        hits = [(len(pattern), -order, label) for order, (pattern, label) in enumerate(self._known) if pattern in text]
        return self._id(max(hits)[2]) if hits else -1

    def grouped(self, found: np.ndarray) -> np.ndarray:
        """Finding ids as the distance sees them: a finding in a group (lexicons/zh/finding_groups.tsv) is
        measured as its broader finding, so at a small k they share a cluster; zh/auto_k still gives each
        finding its own."""
        ids = np.asarray(self._group_ids, dtype=np.int64)
        return np.where(found >= 0, ids[np.maximum(found, 0)] if len(ids) else found, found)

    def register(self, item: str, text: str) -> None:
        """Token-encoded items are not text: say which text an item stands for."""
        self._by_item[item] = self.finding(text)

    def findings(self, items: Sequence[str]) -> np.ndarray:
        out = np.empty(len(items), dtype=np.int64)
        for n, item in enumerate(items):
            found = self._by_item.get(item)
            if found is None:  # character items are their own text
                found = self._by_item[item] = self.finding(item)
            out[n] = found
        return out

    def cross(self, rows: Sequence[str], cols: Sequence[str], plain: Callable[[list, list], np.ndarray]) -> np.ndarray:
        """Steered distances from `rows` to `cols`, `plain` giving the edit distances. Two clauses of different
        known findings are 1.0 whatever their edit distance (0.5 for two related findings of one group), so only
        the pairs of one group (halved within one finding) and
        the pairs with an unknown clause are measured, a fraction of the matrix when most clauses are
        known. Each value is the one a full plain matrix masked afterwards would hold."""
        fine_a, fine_b = self.findings(rows), self.findings(cols)
        a, b = self.grouped(fine_a), self.grouped(fine_b)
        out = np.ones((len(rows), len(cols)), dtype=np.float32)
        unknown = np.flatnonzero(a < 0)
        if len(unknown):
            out[unknown] = plain([rows[i] for i in unknown], list(cols))
        for found in np.unique(a[a >= 0]):
            at = np.flatnonzero(a == found)
            measured = np.flatnonzero((b == found) | (b < 0))
            if not len(measured):
                continue
            block = plain([rows[i] for i in at], [cols[j] for j in measured])
            block[:, b[measured] == found] *= self.SAME_FACTOR
            # two related findings of one group sit at the edge of each other's clusters, no nearer
            related = (b[measured] == found)[None, :] & (fine_a[at][:, None] != fine_b[measured][None, :])
            block[related] = self.RELATED
            out[np.ix_(at, measured)] = block
        return out


@dataclass
class Metric:
    """Normalised Levenshtein distance between encoded clauses, optionally steered by a FindingGuide."""

    guide: FindingGuide | None = None
    workers: int = ALL_CORES

    def cross(self, rows: Sequence[str], cols: Sequence[str]) -> np.ndarray:
        """Distances from each of `rows` to each of `cols`."""
        return self.guide.cross(rows, cols, self.plain) if self.guide else self.plain(rows, cols)

    def plain(self, rows: Sequence[str], cols: Sequence[str]) -> np.ndarray:
        """Normalised edit distances, unsteered."""
        return cdist(rows, cols, scorer=Levenshtein.normalized_distance, dtype=np.float32, workers=self.workers)

    def pairwise(self, items: Sequence[str], progress: bool = False) -> np.ndarray:
        """Full float32 distance matrix. The distance is symmetric, so each row block is computed from
        the diagonal on and mirrored: half the edit distances of a plain cdist."""
        n = len(items)
        out = np.empty((n, n), dtype=np.float32)
        for start in tqdm(range(0, n, ROW_CHUNK), desc="distances", unit="block", disable=not progress, leave=False):
            stop = min(start + ROW_CHUNK, n)
            block = self.cross(items[start:stop], items[start:])
            out[start:stop, start:] = block
            out[stop:, start:stop] = block[:, stop - start:].T
        return out

    def nearest(self, items: Sequence[str], centers: Sequence[str], chunk: int = 50_000,
                progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Index of and distance to the nearest center for every item, in bounded-memory chunks."""
        index = np.empty(len(items), dtype=np.int64)
        dist = np.empty(len(items), dtype=np.float32)
        for start in tqdm(range(0, len(items), chunk), desc="assigning", unit="chunk", disable=not progress,
                          leave=False):
            block = self.cross(items[start:start + chunk], centers)
            index[start:start + chunk] = block.argmin(axis=1)
            dist[start:start + chunk] = block.min(axis=1)
        return index, dist
