"""clusters.html: one self-contained page showing what `zh label` will do with every clause.

Each cluster is a box of its members; like the method's cluster figure, a clause's font size grows
with its frequency. Normal descriptions assigned to a cluster (心影不大 beside 心影增大: value 0.0)
and clauses beyond --max-distance (unassigned: no label at all) are listed apart, with counts, and
mixed clusters are flagged.

The page is also the editor of what it shows (clusters.js): a reviewer names each cluster (a CheXpert name, a
known finding or a new name), drops one with `-`, gives a single clause part its own label by clicking it, and
downloads label_map.csv and clause_overrides.csv exactly as `zh label` reads them (the medoid column kept, so
the map still fits its model.json). Edits are saved in the browser as they are made. Nothing is fetched or sent
(`cxrlabel.html_page`), so the page opens on an offline hospital workstation.
"""
from __future__ import annotations

import hashlib
import html
import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..html_page import asset, page
from ..tables import read_table
from .data_files import load_zh_data
from .model_file import SavedModel
from .settings import OVERRIDES_FILE, UNASSIGNED_ROW

MIN_PX, MAX_PX = 11, 34
MEMBERS_SHOWN = 40

GENERATOR = "cxrlabel zh mine"
LABEL_MAP = "label_map.csv"


def font_px(count: int, largest: int) -> int:
    """Font size in proportion to frequency, between MIN_PX and MAX_PX (whole pixels: each size is a class,
    since the page's policy allows no inline style attribute)."""
    return round(MIN_PX + (MAX_PX - MIN_PX) * count / max(largest, 1))


def _size_classes() -> str:
    return "".join(f".fs{px}{{font-size:{px}px}}" for px in range(MIN_PX, MAX_PX + 1))


def _spans(members: Sequence[tuple[str, int]], largest: int, css: str = "clause") -> str:
    esc = html.escape
    shown = "".join(
        f'<span class="{css} fs{font_px(count, largest)}" data-clause="{esc(text)}" title="{count}">'
        f'{esc(text)}<span class="count">{count}</span></span>'
        for text, count in members[:MEMBERS_SHOWN])
    more = len(members) - MEMBERS_SHOWN
    return shown + (f'<div class="more">+ {more} more distinct clauses</div>' if more > 0 else "")


def _box(row: pd.Series, label: str, largest: int) -> str:
    esc = html.escape
    flag = ""
    if row["mixed"]:
        why = [f"spread {row['spread']:.2f}"] if row["spread"] else []
        if row["other_finding_share"]:
            why.append(f"{row['other_finding_share']:.0%} of members read as other findings ({esc(row['other_findings'])})")
        flag = f'<div class="flag">mixed: {"; ".join(why)}</div>'
    normal = (f'<div class="sub normal">normal descriptions of this finding, value 0.0 '
              f'({row["n_normal"]}): {_spans(row["normal_members"], largest)}</div>') if row["n_normal"] else ""
    return (f'<div class="box{" mixed" if row["mixed"] else ""}" id="cluster-{row["cluster_id"]}">'
            f'<div class="head">#{row["cluster_id"]} <span class="name">{esc(str(label))}</span></div>{flag}'
            f'<div class="meta">medoid: {esc(row["medoid"])}<br>{row["n_clauses"]} clauses, '
            f'{row["n_unique"]} distinct · {row["n_reports"]} reports ({row["report_share"]:.1%}) · '
            f'negated {row["negated_share"]:.0%} · uncertain {row["uncertain_share"]:.0%} · '
            f'spread {row["spread"]:.2f}</div>{_spans(row["members"], largest)}{normal}</div>')


def _unassigned(clusters: pd.DataFrame, max_distance: float, label: str | None) -> str:
    """The finding parts beyond --max-distance, with the editor of their label (the map's UNASSIGNED_ROW line;
    `label` None: a map written before that line existed, so no editor)."""
    esc = html.escape
    rows = [(row["cluster_id"], text, count) for _, row in clusters.iterrows()
            for text, count in row["unassigned_members"]]
    total = sum(count for _, _, count in rows)
    if not rows:
        return f'<h2 id="unassigned">Unassigned clauses: none beyond --max-distance {max_distance}</h2>'
    rows.sort(key=lambda r: -r[2])
    body = "".join(f'<tr><td class="unassigned" data-clause="{esc(text)}">{esc(text)}</td><td>{count}</td><td>#{cid}</td></tr>'
                   for cid, text, count in rows[:MEMBERS_SHOWN * 5])
    more = len(rows) - MEMBERS_SHOWN * 5
    editor = ("" if label is None else
              f'<div class="box unassigned-label" id="cluster-{UNASSIGNED_ROW}"><div class="head">label of these parts: '
              f'<span class="name">{esc(label)}</span></div></div>')
    return (f'<h2 id="unassigned">Unassigned clauses: {total} ({len(rows)} distinct)</h2>{editor}'
            f"<p>Farther than --max-distance {max_distance} from every medoid: zh label gives these finding parts the "
            f"label named here (<code>-</code>: none) and counts them in its unassigned column. Name them where your "
            f"labels end in a catch-all such as other, click one to give it a label of its own (a clause override), "
            f"or mine with a larger -k.</p>"
            f"<table><tr><th>clause</th><th>count</th><th>nearest cluster</th></tr>{body}</table>"
            + (f'<div class="more">+ {more} more distinct clauses</div>' if more > 0 else ""))


def render(clusters: pd.DataFrame, labels: Sequence[str], n_reports_with_clauses: int, max_distance: float,
           title: str, label_map: pd.DataFrame | None = None, names: Sequence[str] = (),
           overrides: Sequence[tuple[str, str]] = ()) -> str:
    """The whole page; every piece of report text is HTML-escaped. `label_map`: the label_map.csv beside the page,
    as strings, which the editor downloads again with the labels changed (made from `labels` when not given);
    `names`: the label names it offers; `overrides`: the clause overrides already written."""
    esc = html.escape
    largest = max((members[0][1] for members in clusters["members"] if members), default=1)
    boxes = "".join(_box(row, label, largest) for (_, row), label in zip(clusters.iterrows(), labels))
    n_mixed = int(clusters["mixed"].sum())
    if label_map is None:
        label_map = pd.DataFrame({"cluster_id": clusters["cluster_id"].astype(str), "label": list(labels),
                                  "medoid": clusters["medoid"]})
    label_map = label_map.astype(str)
    named = dict(zip(label_map["cluster_id"], label_map["label"]))
    written = label_map.to_csv(index=False) + repr(list(overrides))
    data = {"key": "cxrlabel-clusters:" + hashlib.sha256(written.encode("utf-8")).hexdigest(),
            "columns": list(label_map.columns), "rows": label_map.values.tolist(),
            "names": list(dict.fromkeys(names)), "overrides": [list(o) for o in overrides]}
    body = (f'<div id="toolbar"></div><h1>{esc(title)}</h1>'
            f"<p>{len(clusters)} clusters over {n_reports_with_clauses} reports with clauses; "
            f'<span class="flag">{n_mixed} flagged mixed</span> (red border). Font size is proportional to how '
            f"often a clause occurs; shares are of reports. This page shows what zh label does at "
            f"--max-distance {max_distance}.</p>"
            f'<div class="grid">{boxes}</div>{_unassigned(clusters, max_distance, named.get(UNASSIGNED_ROW))}')
    return page(title, body, [asset("cxrlabel.zh", "clusters.css") + _size_classes()],
                [asset("cxrlabel.zh", "clusters.js")], data, GENERATOR, lang="zh")


def label_names(data_names: Sequence[tuple[str, str]], known: Sequence[tuple[str, str]]) -> list[str]:
    """What the editor offers to name a cluster: the CheXpert names, then the known findings' labels."""
    return list(dict.fromkeys([name for _, name in data_names] + [label for _, label in known]))


def editor_inputs(folder: Path, label_map: bytes, model: SavedModel) -> dict:
    """The editor's inputs: the label_map.csv written beside the page (given as its bytes, since the page is
    written together with it), the label names of the lexicons `model` was mined with, and the folder's
    clause_overrides.csv when there is one."""
    data = load_zh_data(model.rules_dir, model.lexicon_dir)
    overrides_path = folder / OVERRIDES_FILE
    overrides = []
    if overrides_path.is_file():
        frame = read_table(overrides_path).frame.fillna("").astype(str)
        if {"clause", "label"} <= set(frame.columns):
            overrides = list(zip(frame["clause"], frame["label"]))
    return {"label_map": pd.read_csv(io.BytesIO(label_map), dtype=str, keep_default_na=False),
            "names": label_names(data.chexpert_names, data.known_findings), "overrides": overrides}
