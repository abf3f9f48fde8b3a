"""Normalised Levenshtein distances between clauses, over tokens or characters, via rapidfuzz.

Distances are normalised (edit distance / length of the longer clause, in [0, 1]) so a
one-word difference between two long clauses counts for less than between two short ones,
and so `--max-distance` means the same thing for every clause length.

Token mode maps each token to one private code point, so rapidfuzz's fast string kernels
compute token-level edit distance.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist
from tqdm import tqdm

DISTANCES = ("tokens", "chars")
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


def pairwise(items: Sequence[str], workers: int = -1, progress: bool = False) -> np.ndarray:
    """Full float32 distance matrix, filled in row blocks so progress can be shown."""
    n = len(items)
    out = np.empty((n, n), dtype=np.float32)
    for start in tqdm(range(0, n, ROW_CHUNK), desc="distances", unit="block", disable=not progress, leave=False):
        out[start:start + ROW_CHUNK] = cdist(items[start:start + ROW_CHUNK], items,
                                             scorer=Levenshtein.normalized_distance,
                                             dtype=np.float32, workers=workers)
    return out


def cross(rows: Sequence[str], cols: Sequence[str], workers: int = -1) -> np.ndarray:
    """Distances from each of `rows` to each of `cols` (small `cols`: medoids)."""
    return cdist(rows, cols, scorer=Levenshtein.normalized_distance, dtype=np.float32, workers=workers)


def nearest(items: Sequence[str], centers: Sequence[str], workers: int = -1,
            chunk: int = 50_000, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Index of and distance to the nearest center for every item, in bounded-memory chunks."""
    index = np.empty(len(items), dtype=np.int64)
    dist = np.empty(len(items), dtype=np.float32)
    for start in tqdm(range(0, len(items), chunk), desc="assigning", unit="chunk", disable=not progress, leave=False):
        block = cross(items[start:start + chunk], centers, workers)
        index[start:start + chunk] = block.argmin(axis=1)
        dist[start:start + chunk] = block.min(axis=1)
    return index, dist
