"""clusters.html: one self-contained page showing every cluster as a box of its clauses.

Like the method's cluster figure, a clause's font size grows with its frequency. No scripts,
fonts or stylesheets are fetched, so the page opens on an offline hospital workstation.
"""
from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

MIN_PX, MAX_PX = 11, 34
MEMBERS_SHOWN = 40

_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5em;background:#fafafa;color:#222}
h1{font-size:1.3em}.grid{display:flex;flex-wrap:wrap;gap:12px}
.box{border:1px solid #999;border-radius:6px;background:#fff;padding:8px 10px;width:340px}
.head{font-weight:bold;border-bottom:1px solid #ddd;margin-bottom:6px;padding-bottom:4px}
.meta{font-size:12px;color:#555;margin-bottom:6px}.clause{display:inline-block;margin:1px 6px 1px 0;line-height:1.2}
.count{font-size:10px;color:#777;vertical-align:super}.more{font-size:11px;color:#777}
"""


def font_px(count: int, largest: int) -> float:
    """Font size in proportion to frequency, between MIN_PX and MAX_PX."""
    return round(MIN_PX + (MAX_PX - MIN_PX) * count / max(largest, 1), 1)


def render(clusters: pd.DataFrame, labels: Sequence[str], n_reports_with_clauses: int, title: str) -> str:
    """The whole page; every piece of report text is HTML-escaped."""
    esc = html.escape
    largest = max((members[0][1] for members in clusters["members"] if members), default=1)
    boxes = []
    for (_, row), label in zip(clusters.iterrows(), labels):
        members = row["members"]
        spans = "".join(
            f'<span class="clause" style="font-size:{font_px(count, largest)}px" title="{count}">'
            f'{esc(text)}<span class="count">{count}</span></span>'
            for text, count in members[:MEMBERS_SHOWN])
        more = len(members) - MEMBERS_SHOWN
        boxes.append(
            f'<div class="box"><div class="head">#{row["cluster_id"]} {esc(str(label))}</div>'
            f'<div class="meta">medoid: {esc(row["medoid"])}<br>{row["n_clauses"]} clauses, '
            f'{row["n_unique"]} distinct · {row["n_reports"]} reports ({row["report_share"]:.1%}) · '
            f'negated {row["negated_share"]:.0%} · uncertain {row["uncertain_share"]:.0%}</div>'
            f'{spans}{f"<div class=more>+ {more} more distinct clauses</div>" if more > 0 else ""}</div>')
    return (f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f"<style>{_STYLE}</style></head><body><h1>{esc(title)}</h1>"
            f"<p>{len(clusters)} clusters over {n_reports_with_clauses} reports with clauses. "
            f"Font size is proportional to how often a clause occurs; shares are of reports.</p>"
            f'<div class="grid">{"".join(boxes)}</div></body></html>\n')
