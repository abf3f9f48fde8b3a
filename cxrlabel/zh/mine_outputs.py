"""Writing what `cxrlabel zh mine` produces into the --out folder."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import UserError
from . import report_html
from .known_findings import suggest_label
from .mine import MineResult, MineSettings
from .model_file import MODEL_FILE, SavedModel, save_model

CLUSTERS_FILE = "clusters.csv"
ASSIGNMENTS_FILE = "assignments.csv"
LABEL_MAP_FILE = "label_map.csv"
HTML_FILE = "clusters.html"


def write_outputs(result: MineResult, out: Path, settings: MineSettings, known: tuple[tuple[str, str], ...],
                  drop_laterality: bool, rules_dir: str | None, lexicon_dir: str | None) -> list[Path]:
    """Write the five outputs; returns their paths."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"{out}: cannot create the output folder ({exc.strerror}); choose another --out") from None
    clusters = result.clusters
    labels = [suggest_label(m, known) for m in clusters["medoid"]]
    paths = [out / name for name in (CLUSTERS_FILE, ASSIGNMENTS_FILE, LABEL_MAP_FILE, MODEL_FILE, HTML_FILE)]
    clusters.drop(columns="members").to_csv(paths[0], index=False, encoding="utf-8")
    result.clauses[["id", "clause_no", "clause", "normalized", "cue", "cluster_id", "distance"]].to_csv(
        paths[1], index=False, encoding="utf-8")
    pd.DataFrame({
        "cluster_id": clusters["cluster_id"],
        "label": labels,
        "medoid": clusters["medoid"],
        "n_clauses": clusters["n_clauses"],
        "example": [members[0][0] if members else "" for members in clusters["members"]],
    }).to_csv(paths[2], index=False, encoding="utf-8")
    save_model(SavedModel(
        cluster_ids=clusters["cluster_id"].tolist(), medoids=clusters["medoid"].tolist(),
        medoid_tokens=[list(t) for t in result.medoid_tokens], distance=settings.distance,
        drop_laterality=drop_laterality, rules_dir=rules_dir, lexicon_dir=lexicon_dir,
        seed=settings.seed, loss=round(result.loss, 6)), paths[3])
    paths[4].write_text(report_html.render(clusters, labels, result.n_reports_with_clauses,
                                           f"cxrlabel zh mine: {len(clusters)} clause clusters"), encoding="utf-8")
    return paths
