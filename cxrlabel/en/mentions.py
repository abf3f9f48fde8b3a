"""Mention records: one JSON-ready row per mention and per derived decision, for --mentions-out and explain."""
from __future__ import annotations

from .labeler import ReportLabels


def mention_records(report_id: object, result: ReportLabels) -> list[dict]:
    rows = [{"report": report_id, "observation": m.observation, "kind": m.kind, "sentence": m.sentence,
             "phrase": m.phrase, "start": m.start, "end": m.end, "label": m.label, "rule": m.rule}
            for m in result.mentions]
    rows += [{"report": report_id, "observation": obs, "kind": "derived", "sentence": None, "phrase": None,
              "start": None, "end": None, "label": value, "rule": rule}
             for obs, value, rule in result.decisions if value is not None]
    return rows
