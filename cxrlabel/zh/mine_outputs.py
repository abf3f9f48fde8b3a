"""Writing what `cxrlabel zh mine` produces into the --out folder.

label_map.csv is the one output a reviewer edits, and it only fits the model.json written with it. So
the folder records the digest of the map it wrote, and mining again into it replaces the outputs only
while the map is still that one: an edited map is never replaced, and never left beside a model it does
not fit.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from ..errors import UserError
from ..output_guard import claim_folder, is_ours, write_together
from . import report_html
from .known_findings import suggest_label
from .label import DROP
from .mine import MineResult, MineSettings
from .model_file import MODEL_FILE, SavedModel, model_bytes
from .settings import UNASSIGNED_ROW

CLUSTERS_FILE = "clusters.csv"
ASSIGNMENTS_FILE = "assignments.csv"
LABEL_MAP_FILE = "label_map.csv"
HTML_FILE = "clusters.html"
WRITTEN_FILE = ".label_map.sha256"  # digest of the label_map.csv this folder's last run wrote
ASSIGNMENT_COLUMNS = ["row", "id", "clause_no", "part_no", "clause", "normalized", "cue", "cluster_id",
                      "nearest_cluster", "distance"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refuse_edited_map(out: Path) -> None:
    """Stop before a run would replace a label map someone edited (or one whose digest is unknown)."""
    label_map = out / LABEL_MAP_FILE
    if not is_ours(out) or not label_map.is_file() or map_is_as_written(out):
        return
    raise UserError(f"{label_map}: edited since `cxrlabel zh mine` wrote it, so this run writes nothing: the "
                    f"edits are kept, and they only fit the {MODEL_FILE} beside them. Give $out a new folder, "
                    f"or move {LABEL_MAP_FILE} and {MODEL_FILE} out of {out} together (or delete {LABEL_MAP_FILE} "
                    "to discard the edits) and run again")


def prepare_out(out: Path) -> None:
    """Make --out ours to write in, before the mining: a user's folder and an edited map are refused."""
    refuse_edited_map(out)
    claim_folder(out, "zh mine", "out")


def write_outputs(result: MineResult, out: Path, settings: MineSettings, known: tuple[tuple[str, str], ...],
                  drop_laterality: bool, sections: str, rules_dir: str | None, lexicon_dir: str | None) -> list[Path]:
    """Write the five outputs into a folder `prepare_out` accepted; returns their paths. All are written
    before any is put in place, so a full disk leaves the folder's earlier outputs as they were."""
    refuse_edited_map(out)  # again: the map may have been edited while the mining ran
    clusters = result.clusters
    labels = [suggest_label(m, known) for m in clusters["medoid"]]
    label_map = csv_bytes(with_unassigned_row(pd.DataFrame({"cluster_id": clusters["cluster_id"], "label": labels,
                                                            "medoid": clusters["medoid"], **map_counts(clusters)}),
                                              clusters))
    model = SavedModel(
        cluster_ids=clusters["cluster_id"].tolist(), medoids=clusters["medoid"].tolist(),
        medoid_tokens=[list(t) for t in result.medoid_tokens], distance=settings.distance, guide=settings.guide,
        drop_laterality=drop_laterality, sections=sections, rules_dir=rules_dir, lexicon_dir=lexicon_dir,
        seed=settings.seed, loss=round(result.loss, 6))
    files = {**table_files(clusters, result.clauses, out), out / LABEL_MAP_FILE: label_map,
             out / MODEL_FILE: model_bytes(model),
             **html_file(clusters, labels, result.n_reports_with_clauses, settings.max_distance, out, label_map, model),
             **map_record(out, label_map)}
    write_together(files, "out")
    return [out / name for name in (CLUSTERS_FILE, ASSIGNMENTS_FILE, LABEL_MAP_FILE, MODEL_FILE, HTML_FILE)]


def map_counts(clusters: pd.DataFrame) -> dict[str, list]:
    """The label map's columns that describe each cluster for the reviewer (the rest is theirs)."""
    return {"n_clauses": clusters["n_clauses"].tolist(),
            "example": [members[0][0] if members else "" for members in clusters["members"]]}


def with_unassigned_row(label_map: pd.DataFrame, clusters: pd.DataFrame) -> pd.DataFrame:
    """The map with its last line for the finding parts far from every medoid, labelled `-` (none) for the
    reviewer to name."""
    row = {"cluster_id": UNASSIGNED_ROW, "label": DROP, "medoid": "", **unassigned_counts(clusters)}
    return pd.concat([label_map, pd.DataFrame([row])], ignore_index=True)


def unassigned_counts(clusters: pd.DataFrame) -> dict[str, object]:
    """`map_counts` of the unassigned line: how many parts, and the most frequent of them."""
    unassigned = sorted((m for members in clusters["unassigned_members"] for m in members), key=lambda m: -m[1])
    return {"n_clauses": sum(n for _, n in unassigned), "example": unassigned[0][0] if unassigned else ""}


def map_record(out: Path, label_map: bytes) -> dict[Path, bytes]:
    """The note that marks `label_map` as written by this toolkit, so a later mine may replace it
    (`refuse_edited_map`)."""
    return {out / WRITTEN_FILE: (hashlib.sha256(label_map).hexdigest() + "\n").encode("utf-8")}


def map_is_as_written(out: Path) -> bool:
    written = out / WRITTEN_FILE
    return written.is_file() and written.read_text(encoding="utf-8").strip() == _digest(out / LABEL_MAP_FILE)


def csv_bytes(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False).encode("utf-8")


def table_files(clusters: pd.DataFrame, clauses: pd.DataFrame, out: Path) -> dict[Path, bytes]:
    """clusters.csv and assignments.csv (one row per clause part, with its report's row)."""
    assignments = clauses.copy()
    # A normal description or a clause beyond --max-distance belongs to no cluster; the cluster it is
    # nearest to is kept beside it, as clusters.html shows it.
    assignments["nearest_cluster"] = assignments["cluster_id"]
    assignments["cluster_id"] = assignments["cluster_id"].where(assignments["member"] & assignments["assigned"])
    assignments["cluster_id"] = assignments["cluster_id"].astype("Int64")
    return {out / CLUSTERS_FILE: csv_bytes(clusters.drop(columns=["members", "normal_members", "unassigned_members"])),
            out / ASSIGNMENTS_FILE: csv_bytes(assignments[ASSIGNMENT_COLUMNS])}


def html_file(clusters: pd.DataFrame, labels: list[str], n_reports_with_clauses: int, max_distance: float,
              out: Path, label_map: bytes, model: SavedModel) -> dict[Path, bytes]:
    """clusters.html, the editor of `label_map` (the map written with it) for the clusters of `model`."""
    page = report_html.render(clusters, labels, n_reports_with_clauses, max_distance,
                              f"cxrlabel zh mine: {len(clusters)} clause clusters",
                              **report_html.editor_inputs(out, label_map, model))
    return {out / HTML_FILE: page.encode("utf-8")}
