"""review.html: the sampled reports with their predicted labels, for a reviewer to confirm or change in the
browser, one file that works from file:// with nothing fetched or sent (`cxrlabel.html_page`).

The page shows what decided each label: for English the labeller's mentions, the rule that gave each its value
and the sentence it sits in (what `cxrlabel explain` prints), the report's sections, and those the labeller
left out; for Chinese each clause part with its cluster, label and polarity, as `zh label` assigns them.
The predicted values are those of the sampled labels file; the explanations are recomputed here.
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..archive.local_engine import hidden_while
from ..en import sections as en_sections
from ..en.labeler import LabelerConfig, pipeline_for
from ..errors import UserError
from ..html_page import asset, page
from ..tables import ChunkedTable, read_table
from ..zh.cues import CUE_VALUE
from ..zh.label import EXTRA_COLUMNS
from ..zh.label import ReviewedClusters
from ..zh.label import part_verdicts
from .settings import SAMPLE_CSV, SAMPLE_JSON

GENERATOR = "cxrlabel review"  # the page's <meta name="generator">: a file that has it is one we may replace
DESIGN_COLUMNS = ("inclusion_probability", "reason", "focus")


@dataclass
class Sample:
    folder: Path
    frame: pd.DataFrame  # sample.csv as strings
    meta: dict  # sample.json
    digest: str  # of sample.csv: the page's autosave key, so two samples never mix

    @property
    def id_column(self) -> str:
        return self.meta.get("id_column") or str(self.frame.columns[0])

    @property
    def language(self) -> str:
        return self.meta.get("language", "en")

    @property
    def observations(self) -> list[str]:
        named = self.meta.get("observations")
        if named:
            return list(named)
        skip = {self.id_column, *DESIGN_COLUMNS, *EXTRA_COLUMNS}
        return [str(c) for c in self.frame.columns if c not in skip]

    @property
    def ids(self) -> list[str]:
        return self.frame[self.id_column].astype(str).tolist()


def read_sample(folder: Path) -> Sample:
    """sample.csv and sample.json of a `cxrlabel sample` folder, checked for what the page needs."""
    csv_path, json_path = folder / SAMPLE_CSV, folder / SAMPLE_JSON
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder; give the folder `cxrlabel sample ... -o FOLDER` wrote")
    for path in (csv_path, json_path):
        if not path.is_file():
            raise UserError(f"{folder}: no {path.name}; draw a sample into it first: "
                            f"cxrlabel sample LABELS.csv -n 200 -o {folder}")
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{json_path}: not readable JSON ({exc}); draw the sample again") from None
    frame = read_table(csv_path).frame.fillna("").astype(str)
    sample = Sample(folder, frame, meta, hashlib.sha256(csv_path.read_bytes()).hexdigest())
    missing = [c for c in (sample.id_column, *sample.observations) if c not in frame.columns]
    if missing:
        raise UserError(f"{csv_path}: no column {missing[0]!r}, which {SAMPLE_JSON} names; draw the sample again")
    if not len(frame):
        raise UserError(f"{csv_path}: no reports to review")
    repeated = frame[sample.id_column].duplicated()
    if repeated.any():
        raise UserError(f"{csv_path}: id {frame[sample.id_column][repeated].iloc[0]!r} is listed twice; the review "
                        "keeps one answer per report, so each id must be drawn once")
    return sample


def _value(text: str, where: str) -> float | None:
    text = text.strip()
    if text == "" or text.lower() == "nan":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if value not in (1.0, 0.0, -1.0):
        raise UserError(f"{where}: {text!r} is not a label value (1.0, 0.0, -1.0 or blank)")
    return value


def english_details(texts: Sequence[str], observations: Sequence[str], config: LabelerConfig) -> list[dict]:
    """Per report: its sections, each mention with its value, rule and sentence, the report-level decisions,
    and the labels the labeller gives it with these settings (to tell when they differ from the file's)."""
    column = {name: i for i, name in enumerate(observations)}
    with hidden_while(config.unused_packages()):
        results = pipeline_for(config).label(list(texts))
    details = []
    for text, result in zip(texts, results):
        read = en_sections.select(text, config.sections)
        marks = []
        for m in result.mentions:
            if m.observation not in column:
                continue
            begin = text.find(m.sentence, max(0, m.end - len(m.sentence)))
            sentence = [begin, begin + len(m.sentence)] if 0 <= begin <= m.start else [m.start, m.end]
            marks.append({"o": column[m.observation], "s": m.start, "e": m.end, "v": m.label, "rule": m.rule,
                          "aux": m.kind == "auxiliary", "sent": sentence,
                          "decides": m.label == result.labels.get(m.observation)})
        derived = [{"o": column[obs], "v": value, "rule": rule} for obs, value, rule in result.decisions
                   if value is not None and obs in column]
        if config.parser == "ptb":  # the cell holds trees: show the sentences they hold, which the offsets index
            text = result.text
            read = [(0, len(text))]
        details.append({
            "text": text,
            "sections": [[kind, start, end, any(s < end and start < e for s, e in read)]
                         for kind, start, end in en_sections.split_sections(text)],
            "marks": marks, "derived": derived,
            "explained": [result.labels.get(obs) for obs in observations]})
    return details


def chinese_details(texts: Sequence[str], observations: Sequence[str], labeler: ReviewedClusters,
                    cluster_ids: Sequence[int]) -> list[dict]:
    """Per report: each clause part `zh label` reads, with its cluster, label, polarity and how it got them."""
    column = {name: i for i, name in enumerate(observations)}
    details = []
    for parts in part_verdicts(list(texts), labeler):
        shown = []
        for clause, verdict in parts:
            shown.append({"text": clause.text, "cue": clause.cue.value, "v": CUE_VALUE.get(clause.cue),
                          "label": verdict.label, "o": column.get(verdict.label) if verdict.label else None,
                          "how": verdict.how,
                          "cluster": None if verdict.center is None else int(cluster_ids[verdict.center]),
                          "d": None if verdict.distance is None else round(verdict.distance, 3)})
        details.append({"parts": shown})
    return details


def page_data(sample: Sample, texts: Sequence[str], details: Sequence[dict], title: str) -> dict:
    """Everything the page script needs, report text included (it stays in the file)."""
    frame, observations = sample.frame, sample.observations
    reports = []
    for i, (text, detail) in enumerate(zip(texts, details)):
        row = frame.iloc[i]
        predicted = [_value(row[obs], f"{sample.folder / SAMPLE_CSV}: line {i + 2}, column {obs!r}")
                     for obs in observations]
        focus = [f.strip() for f in str(row.get("focus", "")).split(";") if f.strip()]
        reports.append({"id": str(row[sample.id_column]), "reason": str(row.get("reason", "")),
                        "focus": [observations.index(f) for f in focus if f in observations],
                        "predicted": predicted, "text": text, **detail})
    return {"title": title, "key": f"cxrlabel-review:{sample.digest}", "language": sample.language,
            "id_column": sample.id_column, "observations": observations, "reports": reports,
            "population": sample.meta.get("population"), "seed": sample.meta.get("seed")}


def render(data: dict) -> str:
    return page(data["title"], asset("cxrlabel.review", "page.html"), [asset("cxrlabel.review", "page.css")],
                [asset("cxrlabel.review", "page.js")], data, GENERATOR, lang="zh" if data["language"] == "zh" else "en")


def is_review_page(path: Path) -> bool:
    """Whether `path` is a page this command wrote (so writing it again replaces nothing of the user's)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}">' in head


def sampled_texts(table: ChunkedTable, text_column: str, id_column: str | None, ids: Sequence[str]) -> list[str]:
    """The text of each sampled report, in sample order, read a chunk at a time (an archive need not fit in
    memory). `id_column` None: the ids are row numbers from 1, as `zh label` numbers a table without ids."""
    wanted = set(ids)
    found: dict[str, str] = {}
    columns = [text_column] if id_column is None else [id_column, text_column]
    row = 0
    for chunk in table.chunks(columns):
        keys = ([str(row + i + 1) for i in range(len(chunk.frame))] if id_column is None
                else chunk.frame[id_column].astype(str).tolist())
        row += len(chunk.frame)
        for key, text in zip(keys, chunk.frame[text_column].tolist()):
            if key in wanted and key not in found:
                found[key] = "" if text is None or text != text else str(text)
    missing = [i for i in ids if i not in found]
    if missing:
        raise UserError(f"{table.path}: {len(missing)} of the {len(ids)} sampled ids are not in column "
                        f"{id_column or 'row number'!r} (the first: {missing[0]!r}); give $reports the file the "
                        "labels were made from, and $id_column its id column")
    return [found[i] for i in ids]
