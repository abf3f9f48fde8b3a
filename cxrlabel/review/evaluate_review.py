"""`cxrlabel evaluate LABELS reviewed.csv --sample FOLDER`: the review of a sample scored, over the sample and
over the whole archive, written as FOLDER/scores.json and FOLDER/scores.png and printed as a table."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..output_guard import write_atomically
from .folder import check_labels, load_labels, read_reviewed, read_sample, reviewed_for
from .scores import format_table, plot, score_review

SCORES_JSON, SCORES_PNG = "scores.json", "scores.png"


def evaluate_review(labels: str, reviewed_csv: str, folder: str, as_json: bool = False) -> int:
    meta, sample = read_sample(folder)
    check_labels(meta, labels)
    table = load_labels(labels, meta)
    ids, gold = read_reviewed(reviewed_csv, meta, sample)
    reviewed, census, progress = reviewed_for(table, meta, ids, gold)
    result = score_review(table, reviewed, census, progress)
    result.update({"labels_file": str(labels), "reviewed_file": str(reviewed_csv), "sample": str(folder)})
    text = json.dumps(result, indent=1, ensure_ascii=False) + "\n"
    write_atomically(Path(folder) / SCORES_JSON, text.encode("utf-8"))
    image = plot(result)
    if image is not None:
        write_atomically(Path(folder) / SCORES_PNG, image)
    print(text if as_json else format_table(result))
    written = f"{Path(folder) / SCORES_JSON}" + (f" and {Path(folder) / SCORES_PNG}" if image is not None else
                                                 " (no plot: install matplotlib, pip install 'cxrlabel[plot]')")
    print(f"cxrlabel: wrote {written}", file=sys.stderr)
    return 0
