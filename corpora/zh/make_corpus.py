"""Generate the synthetic Chinese chest X-ray diagnosis corpus with its gold labels.

Deterministic (fixed seed, no external input): `python corpora/zh/make_corpus.py` rewrites
reports.csv, gold.csv and clauses_gold.csv beside this file, byte for byte the same.

Every phrase below was written for this corpus in the style of a Chinese hospital PACS
"诊断" field. A report is built from clause "atoms", each with a gold finding and a cue:
- findings come with laterality variants, synonyms, a few typos (变顿, 纹里, 曾大, 节结,
  胸模), sizes, dates and rib numbers;
- cues: negated (未见/无/排除 …) and uncertain (考虑/可能/? /不除外/待排 …) atoms;
- items are numbered in the styles hospitals use (1. 1、 （1） ① １．, line breaks, none);
- boilerplate atoms (请结合临床, 建议复查 …) carry no finding;
- a few rows are empty or not Chinese.

Outputs:
- reports.csv: id, 诊断
- gold.csv: id + one column per label; 1.0 / 0.0 / -1.0 / blank with CheXpert precedence
  (any positive > any uncertain > any negative > no mention); normal = 1.0 when every
  atom is a normal statement or a negated finding.
- clauses_gold.csv: id, clause_no, clause, label, concept, cue. clause_no counts every clause
  of the report in order (boilerplate included), as `cxrlabel zh mine` numbers them; label is
  the report-level label, or "boilerplate" / "other" for atoms that carry no finding.
  concept equals label except for normal statements, which say what they are about
  (normal_heart, normal_lungs, normal_diaphragm, normal_mediastinum, normal_thorax,
  normal_overall): clause clustering is scored against concept, since 心影不大 and 纵隔居中
  are both "normal" but are not the same clause.
"""
from __future__ import annotations

import csv
import random
from pathlib import Path

SEED = 20240611
N_REPORTS = 420
HERE = Path(__file__).resolve().parent

LABELS = ("lung_markings", "pneumonia", "pleural_effusion", "pleural_thickening", "cardiomegaly",
          "aortic_sclerosis", "nodule", "old_lesion", "emphysema", "fracture", "pneumothorax", "normal")
VALUE = {"none": 1.0, "uncertain": -1.0, "negated": 0.0}

LUNG = ["两肺", "双肺", "左肺", "右肺", "右下肺", "左下肺", "右上肺", "左上肺", "两下肺", "双下肺", "右中肺", "右肺中叶"]
LOBE = ["右下", "左下", "右上", "左上", "两下", "双下", "右中"]
SIDE = ["", "左侧", "右侧", "双侧", "两侧", "左", "右"]

# finding -> cue -> templates. "|" separates atoms that become separate clauses.
FINDINGS: dict[str, dict[str, list[str]]] = {
    "lung_markings": {
        "none": ["{lung}纹理增多", "{lung}纹理增粗", "{lung}纹理增多、增粗", "{lung}纹理增多紊乱",
                 "{lung}纹理增强", "{lung}纹里增多", "{lung}纹理稍增多", "{lung}纹理增多、模糊", "肺纹理增多"],
        "negated": ["{lung}纹理未见增多"],
        "uncertain": ["{lung}纹理增多?"],
    },
    "pneumonia": {
        "none": ["{lung}炎症", "{lobe}肺炎", "{lung}感染", "{lung}斑片影", "{lung}片状模糊影",
                 "{lung}炎性病变", "支气管肺炎", "{lung}渗出性病变", "{lung}少许炎症"],
        "uncertain": ["考虑{lung}炎症", "{lobe}肺炎可能", "不除外{lung}感染", "疑{lobe}肺炎",
                      "{lung}炎症待排", "{lung}炎症?", "{lung}斑片影|考虑炎症"],
        "negated": ["未见明确炎症", "{lung}未见明显炎症"],
    },
    "pleural_effusion": {
        "none": ["{side}胸腔积液", "{side}少量胸腔积液", "{side}胸腔少量积液", "{side}肋膈角变钝",
                 "{side}肋膈角变顿", "{side}肋膈角稍钝", "{side}胸腔中量积液"],
        "uncertain": ["{side}肋膈角变钝|考虑少量胸腔积液", "{side}少量胸腔积液可能", "{side}胸腔积液?",
                      "不除外{side}少量胸腔积液"],
        "negated": ["未见胸腔积液", "{side}胸腔未见积液", "无胸腔积液", "{side}肋膈角未见变钝"],
    },
    "pleural_thickening": {
        "none": ["{side}胸膜增厚", "{side}胸膜肥厚", "{side}胸膜粘连", "{side}胸膜增厚粘连",
                 "{side}胸膜局限性增厚", "{side}胸模增厚"],
        "uncertain": ["{side}胸膜增厚可能", "考虑{side}胸膜增厚"],
        "negated": ["{side}胸膜未见增厚"],
    },
    "cardiomegaly": {
        "none": ["心影增大", "心影稍大", "心脏增大", "心影饱满", "心影向左下扩大", "心胸比增大",
                 "心影曾大", "心影明显增大", "心胸比约{ratio}"],
        "uncertain": ["心影增大?", "心影稍大可能", "考虑心脏增大"],
        "negated": ["心影未见增大"],
    },
    "aortic_sclerosis": {
        "none": ["主动脉硬化", "主动脉迂曲", "主动脉结钙化", "主动脉硬化、迂曲", "主动脉结突出",
                 "主动脉弓钙化", "主动脉硬化表现"],
        "uncertain": ["主动脉硬化可能", "考虑主动脉硬化"],
        "negated": ["主动脉未见异常"],
    },
    "nodule": {
        "none": ["{lung}结节", "{lung}小结节影", "{lung}结节影(约{mm}mm)", "{lung}节结",
                 "{lung}类圆形结节", "{lung}结节灶", "{lung}见一结节影约{mm}mm"],
        "uncertain": ["{lung}结节影?", "疑{lung}结节", "{lung}结节待排", "{lung}小结节可能"],
        "negated": ["未见明确结节"],
    },
    "old_lesion": {
        "none": ["{lung}陈旧性病变", "{lung}陈旧性肺结核", "{lung}纤维灶", "{lung}钙化灶",
                 "{lung}纤维钙化灶", "{lung}索条影", "{lung}陈旧性病灶", "{lung}纤维增殖灶"],
        "uncertain": ["{lung}陈旧性结核可能", "{lung}纤维灶?"],
        "negated": [],
    },
    "emphysema": {
        "none": ["肺气肿", "{lung}气肿", "{lung}透亮度增高", "{lung}肺大泡", "肺气肿征象"],
        "uncertain": ["肺气肿可能", "考虑肺气肿"],
        "negated": [],
    },
    "fracture": {
        "none": ["{side}第{a}、{b}肋骨骨折", "{side}第{a}前肋骨折", "{side}锁骨骨折",
                 "{side}第{a}肋骨陈旧性骨折", "{side}肋骨骨折"],
        "uncertain": ["{side}第{a}肋骨骨折?", "疑{side}第{a}肋骨骨折", "{side}第{a}肋骨可疑骨折"],
        "negated": ["未见明显骨折", "{side}肋骨未见骨折", "无肋骨骨折"],
    },
    "pneumothorax": {
        "none": ["{side}气胸", "{side}少量气胸", "{side}气胸|肺组织压缩约{pct}%"],
        "uncertain": ["{side}少量气胸可能", "{side}气胸待排"],
        "negated": ["未见气胸", "排除气胸", "无气胸"],
    },
}
# How common each finding is among abnormal reports (roughly a general hospital's mix).
FREQUENCY = {"lung_markings": 30, "pneumonia": 18, "aortic_sclerosis": 14, "cardiomegaly": 11,
             "pleural_effusion": 10, "pleural_thickening": 9, "old_lesion": 9, "nodule": 8,
             "emphysema": 6, "fracture": 4, "pneumothorax": 3}
# Normal statements, each with the concept it is about (used for clause-level ARI only).
NORMAL_POSITIVE = {"心影大小形态正常": "normal_heart", "心影不大": "normal_heart", "两肺纹理清晰": "normal_lungs",
                   "双膈面光整": "normal_diaphragm", "肋膈角锐利": "normal_diaphragm", "气管居中": "normal_mediastinum",
                   "纵隔居中": "normal_mediastinum", "两肺野清晰": "normal_lungs", "心膈正常": "normal_overall",
                   "胸廓对称": "normal_thorax"}
NORMAL_NEGATED = {"心肺膈未见异常": "normal_overall", "心肺未见明显异常": "normal_overall",
                  "两肺未见明显实质性病变": "normal_lungs", "胸部未见异常": "normal_overall",
                  "心、肺、膈未见明显异常": "normal_overall", "双肺未见明确病变": "normal_lungs",
                  "两肺未见明显异常密度影": "normal_lungs", "心肺膈未见明显异常": "normal_overall"}
BOILERPLATE = ["请结合临床", "建议复查", "建议CT进一步检查", "必要时复查", "请随诊",
               "较前片({date})无明显变化", "对比{date}片变化不大", "建议治疗后复查"]
OTHER = ["see attached report", "N/A"]
NUMBERING = ["none", "dot", "comma_dot", "paren", "circled", "fullwidth", "newline"]
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"


def fill(template: str, rng: random.Random) -> str:
    return template.format(
        lung=rng.choice(LUNG), lobe=rng.choice(LOBE), side=rng.choice(SIDE),
        a=rng.randint(3, 8), b=rng.randint(9, 10), mm=rng.choice([3, 5, 6, 8, 10, 12]),
        pct=rng.choice([20, 30, 40, 50]), ratio=rng.choice(["0.55", "0.56", "0.58", "0.6"]),
        date=f"20{rng.randint(18, 23)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    )


def atoms_of(label: str, cue: str, template: str, rng: random.Random) -> list[tuple[str, str, str]]:
    """(text, label, cue) per clause; in a two-clause template the first part states the sign."""
    parts = fill(template, rng).split("|")
    if len(parts) == 1:
        return [(parts[0], label, cue)]
    return [(parts[0], label, "none" if cue == "uncertain" else cue)] + [(p, label, cue) for p in parts[1:]]


def pick_cue(finding: str, rng: random.Random) -> str:
    options = FINDINGS[finding]
    roll = rng.random()
    if roll < 0.12 and options["negated"]:
        return "negated"
    if roll < 0.30 and options["uncertain"]:
        return "uncertain"
    return "none"


def make_report(rng: random.Random) -> list[tuple[str, str, str]]:
    """The atoms of one report, in order."""
    atoms: list[tuple[str, str, str]] = []
    if rng.random() < 0.3:
        for text in rng.sample(list(NORMAL_NEGATED), 1) + rng.sample(list(NORMAL_POSITIVE), rng.randint(0, 2)):
            atoms.append((text, "normal", "negated" if text in NORMAL_NEGATED else "none"))
        if rng.random() < 0.3:
            finding = rng.choice(["pleural_effusion", "pneumothorax", "fracture"])
            atoms += atoms_of(finding, "negated", rng.choice(FINDINGS[finding]["negated"]), rng)
    else:
        names = list(FREQUENCY)
        chosen: list[str] = []
        while len(chosen) < rng.choice([1, 1, 2, 2, 3]):
            name = rng.choices(names, weights=[FREQUENCY[n] for n in names])[0]
            if name not in chosen:
                chosen.append(name)
        for name in chosen:
            cue = pick_cue(name, rng)
            atoms += atoms_of(name, cue, rng.choice(FINDINGS[name][cue]), rng)
        if rng.random() < 0.35:
            text = rng.choice(list(NORMAL_POSITIVE))
            atoms.append((text, "normal", "none"))
    if rng.random() < 0.3:
        atoms.append((fill(rng.choice(BOILERPLATE), rng), "boilerplate", ""))
    return atoms


def render(atoms: list[tuple[str, str, str]], rng: random.Random) -> str:
    """Join atoms into one diagnosis with a numbering style and mixed punctuation."""
    style = rng.choice(NUMBERING)
    comma = rng.choice(["，", ",", "；"])
    if style == "none":
        return comma.join(a[0] for a in atoms) + rng.choice(["。", ""])
    pieces = []
    for number, (text, _, _) in enumerate(atoms, 1):
        prefix = {"dot": f"{number}.", "comma_dot": f"{number}、", "paren": f"（{number}）",
                  "circled": CIRCLED[number - 1], "fullwidth": f"{chr(0xFF10 + number)}．",
                  "newline": ""}[style]
        pieces.append(prefix + text)
    if style == "newline":
        return "\n".join(pieces)
    sep = rng.choice(["。", "；", " ", ""])
    text = pieces[0]
    for piece in pieces[1:]:
        # "约5mm2.心影增大" cannot be split by anyone; PACS text has a stop there.
        text += ("。" if not sep and text[-1].isascii() and text[-1].isalnum() else sep) + piece
    return text + "。"


def gold_row(atoms: list[tuple[str, str, str]]) -> dict[str, str]:
    values: dict[str, list[float]] = {}
    for _, label, cue in atoms:
        if label in FINDINGS:
            values.setdefault(label, []).append(VALUE[cue])
    row = {}
    for label in LABELS[:-1]:
        seen = values.get(label, [])
        row[label] = ("1.0" if 1.0 in seen else "-1.0" if -1.0 in seen else "0.0" if 0.0 in seen else "")
    findings = [(label, cue) for _, label, cue in atoms if label not in ("boilerplate", "other")]
    normal = findings and all(label == "normal" or cue == "negated" for label, cue in findings)
    row["normal"] = "1.0" if normal else ""
    return row


def main() -> None:
    rng = random.Random(SEED)
    reports, gold, clauses = [], [], []
    for index in range(1, N_REPORTS + 1):
        rid = f"ZH{index:04d}"
        if index % 140 == 0:
            atoms: list[tuple[str, str, str]] = []
            text = ""
        elif index % 140 == 70:
            atoms = [(rng.choice(OTHER), "other", "")]
            text = atoms[0][0]
        else:
            atoms = make_report(rng)
            text = render(atoms, rng)
        reports.append({"id": rid, "诊断": text})
        gold.append({"id": rid, **gold_row(atoms)})
        for number, (clause, label, cue) in enumerate(atoms):
            concept = NORMAL_POSITIVE.get(clause) or NORMAL_NEGATED.get(clause) or label
            clauses.append({"id": rid, "clause_no": number, "clause": clause, "label": label,
                            "concept": concept, "cue": cue})
    for name, rows in (("reports.csv", reports), ("gold.csv", gold), ("clauses_gold.csv", clauses)):
        with open(HERE / name, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    print(f"wrote {len(reports)} reports and {len(clauses)} gold clauses to {HERE}")


if __name__ == "__main__":
    main()
