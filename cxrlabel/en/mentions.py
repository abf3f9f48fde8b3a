"""Mention records: one JSON-ready row per mention and per derived decision, for the mentions file and
`explain`, which renders them as a table."""
from __future__ import annotations

import textwrap

from .labeler import ReportLabels


def mention_records(report_id: object, result: ReportLabels) -> list[dict]:
    rows = [{"report": report_id, "observation": m.observation, "kind": m.kind, "sentence": m.sentence,
             "phrase": m.phrase, "start": m.start, "end": m.end, "label": m.label, "rule": m.rule}
            for m in result.mentions]
    rows += [{"report": report_id, "observation": obs, "kind": "derived", "sentence": None, "phrase": None,
              "start": None, "end": None, "label": value, "rule": rule}
             for obs, value, rule in result.decisions if value is not None]
    return rows


NAMES = {1.0: "positive", 0.0: "negative", -1.0: "uncertain", None: ""}


def render(records: list[dict], labels: dict) -> str:
    rows = [("observation", "label", "phrase", "rule", "sentence")]
    for r in records:
        rows.append((r["observation"] + (" (aux)" if r["kind"] == "auxiliary" else ""), NAMES[r["label"]],
                     r["phrase"] or "", r["rule"], textwrap.shorten(r["sentence"] or "(report level)", 60)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    out = ["  ".join(c.ljust(w) for c, w in zip(row[:4], widths)) + "  " + row[4] for row in rows]
    out.insert(1, "-" * min(120, len(out[0])))
    out.append("")
    out.append("labels: " + (", ".join(f"{o} {v:+.0f}" if v else f"{o} 0" for o, v in labels.items() if v is not None)
                             or "none"))
    return "\n".join(out)
