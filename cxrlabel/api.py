"""The Python face of the English labeller, for notebooks: the labels `cxrlabel extract` writes, for texts in
memory. Options are the fields of `LabelerConfig`, named as the command's flags are (`--lexicon-dir` is
`lexicon_dirs`, a list)."""
from __future__ import annotations

import dataclasses
import math
import warnings
from typing import Iterable

import pandas as pd

from .archive.local_engine import hidden_while
from .en.labeler import LabelerConfig, labels_frame, pipeline_for, unlabelled_reports, unlabelled_warning
from .en.mentions import mention_records, render
from .en.settings import BATCH_SIZE
from .errors import UserError

OPTIONS = tuple(f.name for f in dataclasses.fields(LabelerConfig))


def _is_missing(item: object) -> bool:
    """None, NaN and pandas' NA: a report that is not there, labelled as an empty one (a row of blanks)."""
    return item is None or item is pd.NA or (isinstance(item, float) and math.isnan(item))


def reports_of(texts: str | Iterable[str | None] | pd.Series) -> list:
    """The reports of `texts`, one per item; a single string is one report (never its characters).

    Anything else a list may hold (a number, a bool, bytes, an object) would be labelled as its printed
    form, "5" getting No Finding: refused with a TypeError naming its position, as is a mapping, whose
    keys would be labelled."""
    if isinstance(texts, str):
        return [texts]
    if isinstance(texts, (bytes, bytearray)):
        raise TypeError("texts is bytes; decode it to a str first (e.g. texts.decode('utf-8'))")
    if isinstance(texts, dict):
        raise TypeError("texts is a dict, whose keys would be labelled; pass its values (d.values()) or a "
                        "pandas Series (pd.Series(d)) to keep the keys as the index")
    try:
        items = list(texts)
    except TypeError:
        raise TypeError(f"texts must be a string or an iterable of strings, not {type(texts).__name__}") from None
    for position, item in enumerate(items):
        if not isinstance(item, str) and not _is_missing(item):
            raise TypeError(f"texts[{position}] is {type(item).__name__}, not a report: every item must be a str "
                            "(None or NaN for a missing report)")
    return [None if _is_missing(item) else item for item in items]


def config_of(options: dict) -> LabelerConfig:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise UserError(f"unknown option {unknown[0]!r}; the options are: {', '.join(OPTIONS)}")
    if "lexicon_dirs" in options:
        options = {**options, "lexicon_dirs": tuple(str(d) for d in options["lexicon_dirs"])}
    return LabelerConfig(**options)


class Labeler:
    """Labels reports in this process, with the models, lexicons and rules loaded once: keep one for
    repeated use. `Labeler(parser="none")`, or `Labeler(config)` with a `LabelerConfig`."""

    def __init__(self, config: LabelerConfig | None = None, **options: object) -> None:
        self.config = config if config is not None else config_of(options)
        with self._libraries():
            self.pipeline = pipeline_for(self.config)

    def _libraries(self):
        """As in extract: packages labelling never uses (torch, scipy) stay unimported while it loads and labels."""
        return hidden_while(self.config.unused_packages())

    @property
    def observations(self) -> list[str]:
        return self.pipeline.observations

    def label(self, texts: str | Iterable[str | None] | pd.Series) -> pd.DataFrame:
        """One row per text, in order (a Series keeps its index; a single string is one report): Reports, the
        text that was labelled, then one column per observation with 1.0, 0.0, -1.0 or NaN (not mentioned),
        as `extract` writes them. A TypeError names an item that is not a str, None or NaN."""
        index = texts.index if isinstance(texts, pd.Series) else None
        texts = reports_of(texts)
        results = []
        with self._libraries():
            for begin in range(0, len(texts), BATCH_SIZE):
                results += self.pipeline.label(texts[begin:begin + BATCH_SIZE])
        unlabelled = unlabelled_reports(texts, results)
        if unlabelled:
            warnings.warn(str(UserError(unlabelled_warning(unlabelled, len(texts), self.config.sections))), stacklevel=2)
        frame = labels_frame(results, self.observations)
        if index is not None:
            frame.index = index
        return frame

    def explain(self, text: str) -> str:
        """The table `cxrlabel explain` prints: each mention, its label, the phrase and the deciding rule."""
        if not isinstance(text, str):
            raise TypeError(f"explain takes one report as a str, not {type(text).__name__}; "
                            "label() takes many")
        with self._libraries():
            result = self.pipeline.label([text])[0]
        return render(mention_records(None, result), result.labels)


def label(texts: str | Iterable[str | None] | pd.Series, **options: object) -> pd.DataFrame:
    """Labels for `texts`, as `cxrlabel extract` writes them; the models load once per process and options."""
    return Labeler(**options).label(texts)


def explain(text: str, **options: object) -> str:
    """Why one report got its labels: the table `cxrlabel explain` prints."""
    return Labeler(**options).explain(text)
