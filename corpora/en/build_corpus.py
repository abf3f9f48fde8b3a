"""Compose corpora/en/reports.csv and gold.csv from the hand-annotated sentence_bank.txt.

Deterministic (fixed seed). Reports mix plain text, FINDINGS/IMPRESSION sections and numbered
impressions; gold labels follow the default section choice (findings and impression pooled)
and the CheXpert aggregation, computed from the sentence annotations alone, never from cxrlabel.
Run: python corpora/en/build_corpus.py
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

HERE = Path(__file__).parent
CODES = {
    "EC": "Enlarged Cardiomediastinum", "CM": "Cardiomegaly", "LL": "Lung Lesion", "LO": "Lung Opacity",
    "ED": "Edema", "CO": "Consolidation", "PN": "Pneumonia", "AT": "Atelectasis", "PX": "Pneumothorax",
    "PE": "Pleural Effusion", "PO": "Pleural Other", "FR": "Fracture", "SD": "Support Devices",
    "HF": "Heart Failure", "OF": "Other Finding",
}
COLUMNS = ["No Finding"] + [CODES[c] for c in ("EC", "CM", "LL", "LO", "ED", "CO", "PN", "AT", "PX", "PE", "PO", "FR", "SD")]


def read_bank() -> list[tuple[dict[str, float], str]]:
    bank = []
    for line in (HERE / "sentence_bank.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        spec, sentence = (part.strip() for part in line.split("|", 1))
        labels = {}
        if spec != "-":
            for pair in spec.split():
                code, value = pair.split("=")
                labels[CODES[code]] = float(value)
        bank.append((labels, sentence))
    return bank


def gold(items: list[dict[str, float]]) -> dict[str, float | None]:
    """CheXpert aggregation: 1 beats -1 beats 0; heart failure -> uncertain Cardiomegaly; No Finding."""
    merged: dict[str, float] = {}
    for labels in items:
        for name, value in labels.items():
            old = merged.get(name)
            merged[name] = value if old is None else next(v for v in (1.0, -1.0, 0.0) if v in (old, value))
    if merged.get("Heart Failure") in (1.0, -1.0) and "Cardiomegaly" not in merged:
        merged["Cardiomegaly"] = -1.0
    blocking = [c for c in COLUMNS if c not in ("No Finding", "Support Devices")] + ["Other Finding"]
    merged["No Finding"] = None if any(merged.get(c) in (1.0, -1.0) for c in blocking) else 1.0
    return {c: merged.get(c) for c in COLUMNS}


def main() -> None:
    rng = random.Random(7)
    bank = read_bank()
    order = list(range(len(bank)))
    rng.shuffle(order)
    queue = order + rng.sample(order, len(order))  # every sentence at least once in a labelled part
    rows = []
    while queue:
        style = rng.choice(["plain", "plain", "sections", "sections", "numbered"])
        n = 1 if style == "plain" and rng.random() < 0.4 else rng.randint(2, 3)
        picked = [queue.pop() for _ in range(min(n, len(queue)))]
        sents = [bank[i][1] for i in picked]
        labelled = list(picked)
        if style == "sections":
            seen = rng.sample(range(len(bank)), 2)
            labelled += seen  # the default pools the findings with the impression
            findings = " ".join(bank[i][1] for i in seen)
            text = f"FINDINGS: {findings}\nIMPRESSION: {' '.join(sents)}"
        elif style == "numbered":
            items = [s.rstrip(".") if rng.random() < 0.5 else s for s in sents]
            text = "IMPRESSION: " + " ".join(f"{k}. {s}" for k, s in enumerate(items, 1))
        else:
            text = " ".join(sents)
        rows.append((text, gold([bank[i][0] for i in labelled])))
    rows.insert(17, ("", {c: None for c in COLUMNS}))
    rows.insert(42, ("   ", {c: None for c in COLUMNS}))
    with open(HERE / "reports.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "report"])
        for k, (text, _) in enumerate(rows, 1):
            w.writerow([f"en{k:03d}", text])
    with open(HERE / "gold.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id"] + COLUMNS)
        for k, (_, labels) in enumerate(rows, 1):
            w.writerow([f"en{k:03d}"] + ["" if labels[c] is None else f"{labels[c]:.1f}" for c in COLUMNS])
    print(f"wrote {len(rows)} reports from {len(bank)} annotated sentences")


if __name__ == "__main__":
    main()
