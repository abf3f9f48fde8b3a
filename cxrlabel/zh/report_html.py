"""clusters.html: one self-contained page showing what `zh label` will do with every clause.

Each cluster is a box of its members; like the method's cluster figure, a clause's font size grows
with its frequency. Normal descriptions assigned to a cluster (心影不大 beside 心影增大: value 0.0)
and clauses beyond --max-distance (unassigned: no label at all) are listed apart, with counts, and
mixed clusters are flagged. No scripts, fonts or stylesheets are fetched, so the page opens on an
offline hospital workstation.
"""
from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

MIN_PX, MAX_PX = 11, 34
MEMBERS_SHOWN = 40

_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em;background:#fafafa;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em}.grid{display:flex;flex-wrap:wrap;gap:12px}
.box{border:1px solid #999;border-radius:6px;background:#fff;padding:8px 10px;width:340px}
.box.mixed{border:2px solid #c62828}.flag{color:#c62828;font-weight:bold}
.head{font-weight:bold;border-bottom:1px solid #ddd;margin-bottom:6px;padding-bottom:4px}
.meta{font-size:12px;color:#555;margin-bottom:6px}.clause{display:inline-block;margin:1px 6px 1px 0;line-height:1.2}
.count{font-size:10px;color:#777;vertical-align:super}.more{font-size:11px;color:#777}
.sub{font-size:12px;color:#555;margin-top:6px;border-top:1px dashed #ddd;padding-top:4px}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ccc;padding:2px 8px;font-size:13px}
"""


def font_px(count: int, largest: int) -> float:
    """Font size in proportion to frequency, between MIN_PX and MAX_PX."""
    return round(MIN_PX + (MAX_PX - MIN_PX) * count / max(largest, 1), 1)


def _spans(members: Sequence[tuple[str, int]], largest: int, css: str = "clause") -> str:
    esc = html.escape
    shown = "".join(
        f'<span class="{css}" style="font-size:{font_px(count, largest)}px" title="{count}">'
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
            f'<div class="head">#{row["cluster_id"]} {esc(str(label))}</div>{flag}'
            f'<div class="meta">medoid: {esc(row["medoid"])}<br>{row["n_clauses"]} clauses, '
            f'{row["n_unique"]} distinct · {row["n_reports"]} reports ({row["report_share"]:.1%}) · '
            f'negated {row["negated_share"]:.0%} · uncertain {row["uncertain_share"]:.0%} · '
            f'spread {row["spread"]:.2f}</div>{_spans(row["members"], largest)}{normal}</div>')


def _unassigned(clusters: pd.DataFrame, max_distance: float, largest: int) -> str:
    esc = html.escape
    rows = [(row["cluster_id"], text, count) for _, row in clusters.iterrows()
            for text, count in row["unassigned_members"]]
    total = sum(count for _, _, count in rows)
    if not rows:
        return f'<h2 id="unassigned">Unassigned clauses: none beyond --max-distance {max_distance}</h2>'
    rows.sort(key=lambda r: -r[2])
    body = "".join(f'<tr><td class="unassigned">{esc(text)}</td><td>{count}</td><td>#{cid}</td></tr>'
                   for cid, text, count in rows[:MEMBERS_SHOWN * 5])
    more = len(rows) - MEMBERS_SHOWN * 5
    return (f'<h2 id="unassigned">Unassigned clauses: {total} ({len(rows)} distinct)</h2>'
            f"<p>Farther than --max-distance {max_distance} from every medoid: zh label gives them no label and "
            f"counts them in its unassigned column. Give them a label in clause_overrides.csv (clause,label), "
            f"or mine with a larger -k.</p>"
            f"<table><tr><th>clause</th><th>count</th><th>nearest cluster</th></tr>{body}</table>"
            + (f'<div class="more">+ {more} more distinct clauses</div>' if more > 0 else ""))


def render(clusters: pd.DataFrame, labels: Sequence[str], n_reports_with_clauses: int, max_distance: float,
           title: str) -> str:
    """The whole page; every piece of report text is HTML-escaped."""
    esc = html.escape
    largest = max((members[0][1] for members in clusters["members"] if members), default=1)
    boxes = "".join(_box(row, label, largest) for (_, row), label in zip(clusters.iterrows(), labels))
    n_mixed = int(clusters["mixed"].sum())
    return (f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f"<style>{_STYLE}</style></head><body><h1>{esc(title)}</h1>"
            f"<p>{len(clusters)} clusters over {n_reports_with_clauses} reports with clauses; "
            f'<span class="flag">{n_mixed} flagged mixed</span> (red border). Font size is proportional to how '
            f"often a clause occurs; shares are of reports. This page shows what zh label does at "
            f"--max-distance {max_distance}.</p>"
            f'<div class="grid">{boxes}</div>{_unassigned(clusters, max_distance, largest)}</body></html>\n')
