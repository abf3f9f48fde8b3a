"""Benchmark of the Chinese clause miner (cxrlabel zh): corpus label F1, full matrix, init, CLARA.

Run alone with `python -m bench.zh [--corpus|--prose|--real|--scale]` or as part of `python -m bench`. The corpus
table mines corpora/zh under each setting and names every cluster by the majority gold label of its
members, as a reviewer would, then scores report-level micro-F1 of the 1.0 labels. Each measurement runs in
a fresh child process so its peak memory is its own: "peak RSS" is the child's
resource.getrusage(RUSAGE_SELF).ru_maxrss (whole process, includes Python and numpy), and
"traced peak" is tracemalloc's peak of Python/numpy allocations during the measured call.
"""
from __future__ import annotations

import multiprocessing as mp
import random
import resource
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_UNIQUE = 20_000
K = 20
N_REPORTS = 200_000
POOL = 120_000
SAMPLE = 2_000
N_SAMPLES = 5
SEED = 7
CORPUS_KS = (10, 14, 30)
HOW = ("synthetic clauses: each is the text of a corpus clause part (corpora/zh/reports.csv, after "
       "cue/number removal and jieba segmentation) with 0-3 random tokens from the corpus vocabulary "
       "inserted at random places and, half the time, a laterality word in front; duplicates dropped. "
       "Weights follow a Zipf law (s=1.1) over a shuffled order.")


def _vocabulary():
    import pandas as pd

    from cxrlabel.zh.data_files import load_zh_data
    from cxrlabel.zh.preprocess import ClausePreprocessor

    data = load_zh_data()
    pre = ClausePreprocessor(data)
    texts = pd.read_csv(ROOT / "corpora" / "zh" / "reports.csv", dtype=str, keep_default_na=False)["诊断"]
    seeds = sorted({pre.tokens(c.normalized) for t in texts for c in pre.clauses(t) if c.normalized})
    vocab = sorted({tok for s in seeds for tok in s})
    return seeds, vocab, sorted(data.laterality)


def synthetic_clauses(n: int, rng: random.Random) -> list[tuple[str, ...]]:
    seeds, vocab, laterality = _vocabulary()
    out: dict[tuple[str, ...], None] = {}
    while len(out) < n:
        tokens = list(rng.choice(seeds))
        for _ in range(rng.randint(0, 3)):
            tokens.insert(rng.randint(0, len(tokens)), rng.choice(vocab))
        if rng.random() < 0.5:
            tokens.insert(0, rng.choice(laterality))
        out.setdefault(tuple(tokens))
    return list(out)


def zipf_weights(n: int, rng: np.random.Generator) -> np.ndarray:
    weights = np.floor(5000.0 / np.arange(1, n + 1) ** 1.1) + 1
    return rng.permutation(weights)


def _measure(func, *args):
    tracemalloc.start()
    start = time.perf_counter()
    value = func(*args)
    seconds = time.perf_counter() - start
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return value, seconds, traced / 2**20, rss_mib


def _items_and_weights():
    clauses = ["".join(c) for c in synthetic_clauses(N_UNIQUE, random.Random(SEED))]
    return clauses, zipf_weights(len(clauses), np.random.default_rng(SEED))


def _fit_clauses(sampled: bool):
    """The default miner (character distance steered by the known findings) on 20k distinct clauses."""
    from cxrlabel.zh.data_files import load_zh_data
    from cxrlabel.zh.kmedoids_miner import ClauseKMedoids
    from cxrlabel.zh.known_findings import finding_guide

    items, weights = _items_and_weights()
    model = ClauseKMedoids(n_clusters=K, sample_size=SAMPLE if sampled else None, n_samples=N_SAMPLES,
                           random_state=SEED, workers=-1, guide=finding_guide(load_zh_data()))
    fitted, seconds, traced, rss = _measure(model.fit, items, weights)
    return {"seconds": seconds, "traced_mib": traced, "rss_mib": rss, "loss": fitted.inertia_}


def _fit_chosen():
    """The default miner, k chosen per finding (auto_k), on the same 20k distinct clauses."""
    from cxrlabel.zh.auto_k import FindingKMedoids
    from cxrlabel.zh.data_files import load_zh_data
    from cxrlabel.zh.known_findings import finding_guide

    items, weights = _items_and_weights()
    model = FindingKMedoids(finding_guide(load_zh_data()), random_state=SEED)
    fitted, seconds, traced, rss = _measure(model.fit, items, weights)
    return {"seconds": seconds, "traced_mib": traced, "rss_mib": rss, "loss": fitted.inertia_, "k": fitted.n_clusters_}


def _inits():
    """Seconds and weighted loss of FasterPAM from each start, on one 20k matrix."""
    import kmedoids

    from cxrlabel.zh.data_files import load_zh_data
    from cxrlabel.zh.distance import Metric
    from cxrlabel.zh.known_findings import finding_guide
    from cxrlabel.zh.weighted_kmedoids import plus_plus_init

    items, weights = _items_and_weights()
    start = time.perf_counter()
    scaled = Metric(finding_guide(load_zh_data())).pairwise(items)
    matrix_seconds = time.perf_counter() - start
    scaled *= weights.astype(np.float32)[:, None]
    out = {}
    for name in ("build", "random", "k-medoids++ (ours)"):
        start = time.perf_counter()
        if name == "k-medoids++ (ours)":
            result = kmedoids.fasterpam(scaled, plus_plus_init(scaled, K, SEED), max_iter=100, n_cpu=1)
        else:
            result = kmedoids.fasterpam(scaled, K, max_iter=100, init=name, random_state=SEED, n_cpu=1)
        seconds = time.perf_counter() - start
        out[name] = (seconds, float(scaled[:, np.asarray(result.medoids)].min(axis=1).sum(dtype=np.float64)))
    return matrix_seconds, out


def corpus_table() -> None:
    """Micro-F1 on corpora/zh under each distance setting, at k=10, 14, 30, the default (k chosen per finding)
    and --k-range (k chosen by silhouette)."""
    import pandas as pd

    from cxrlabel.zh import gold_scores
    from cxrlabel.zh.data_files import load_zh_data
    from cxrlabel.zh.mine import MineSettings, mine
    from cxrlabel.zh.preprocess import ClausePreprocessor

    read = lambda name: pd.read_csv(ROOT / "corpora" / "zh" / name, dtype=str, keep_default_na=False)  # noqa: E731
    reports, gold, clause_gold = read("reports.csv"), read("gold.csv"), read("clauses_gold.csv")
    clause_gold["clause_no"] = clause_gold["clause_no"].astype(int)
    texts, data = reports["诊断"].tolist(), load_zh_data()
    runs = [("defaults: chars, guided, --drop-laterality", {}, True),
            ("--no-drop-laterality", {}, False),
            ("--no-guide (plain character Levenshtein)", {"guide": False}, True),
            ("--no-guide --no-drop-laterality", {"guide": False}, False),
            ("--distance tokens", {"distance": "tokens"}, True),
            ("--distance tokens --no-guide --no-drop-laterality", {"distance": "tokens", "guide": False}, False)]
    print("corpora/zh (420 reports), report-level micro-F1 of 1.0 labels after majority naming:")
    print(f"| run | {' | '.join(f'k={k}' for k in CORPUS_KS)} | default (k chosen) | --k-range 5:40 (k chosen) |")
    print(f"|---|{'---|' * (len(CORPUS_KS) + 2)}")
    for name, options, drop in runs:
        pre = ClausePreprocessor(data, drop_laterality=drop)
        scores = []
        for k, k_range in (*((k, None) for k in CORPUS_KS), (None, None), (None, (5, 40))):
            settings = MineSettings(k=k, k_range=k_range, **options)
            result = mine(reports["id"].tolist(), texts, settings, pre)
            out = gold_scores.predict(texts, pre, result, settings, gold_scores.majority_names(result, clause_gold))
            f1 = gold_scores.micro_f1(gold, out, data.chexpert_names)
            scores.append(f"{f1:.3f}" if k else f"{f1:.3f} (k={len(result.clusters)})")
        print(f"| {name} | {' | '.join(scores)} |", flush=True)


def _archive_run():
    from cxrlabel.zh.data_files import load_zh_data
    from cxrlabel.zh.mine import MineSettings, mine
    from cxrlabel.zh.preprocess import ClausePreprocessor

    rng = random.Random(SEED)
    pool = ["".join(c) for c in synthetic_clauses(POOL, rng)]
    draws = np.random.default_rng(SEED).zipf(1.3, size=N_REPORTS * 4) % len(pool)
    cues = ["", "", "", "未见", "考虑", ""]
    reports, at = [], 0
    for _ in range(N_REPORTS):
        n = rng.randint(1, 4)
        reports.append("。".join(f"{i + 1}.{rng.choice(cues)}{pool[draws[at + i]]}" for i in range(n)))
        at += n
    pre = ClausePreprocessor(load_zh_data())
    settings = MineSettings(k=K, sample=SAMPLE, n_samples=N_SAMPLES, seed=SEED)
    ids = [str(i) for i in range(N_REPORTS)]
    result, seconds, traced, rss = _measure(mine, ids, reports, settings, pre)
    return {"seconds": seconds, "traced_mib": traced, "rss_mib": rss, "clauses": len(result.clauses),
            "distinct": int(result.clauses["normalized"].nunique()), "coverage10": result.coverage[9]}


def _in_child(func, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(func, *args).result()


SHARED = ROOT.parent / "shared" / "data"
PROSE = SHARED / "zh" / "openi_zh_dev.csv"
PROSE_GOLD = SHARED / "openi_dev" / "openi_dev_gold_broad.csv"
PROSE_KS = (None, 10, 20, 40)  # None: the miner's own k (the default)


def prose_table() -> None:
    """Macro positive F1 on the Chinese prose summaries of Open-i dev: mined and labelled on each half."""
    if not (PROSE.is_file() and PROSE_GOLD.is_file()):
        print(f"prose: skipped, {PROSE} or {PROSE_GOLD} is not here (development data, never shipped)")
        return
    import pandas as pd

    from cxrlabel.zh import gold_scores
    from cxrlabel.zh.data_files import load_zh_data
    from cxrlabel.zh.known_findings import suggest_label
    from cxrlabel.zh.mine import MineSettings, mine
    from cxrlabel.zh.preprocess import ClausePreprocessor

    gold = pd.read_csv(PROSE_GOLD)
    labels = [c for c in gold.columns if c not in ("uid", "judgeable", "findings", "impression", "report_text")]
    both = pd.read_csv(PROSE).merge(gold[["uid", *labels]], on="uid")
    data = load_zh_data()
    pre = ClausePreprocessor(data, drop_laterality=True)
    print("Open-i dev Chinese prose summaries, macro positive F1 over the CheXpert labels; each half mined and "
          "labelled on its own (tune: even uid, check: odd uid):")
    print(f"| half | naming | {' | '.join('default (k chosen)' if k is None else f'k={k}' for k in PROSE_KS)} |")
    print(f"|---|---|{'---|' * len(PROSE_KS)}")
    for half, name in ((0, "tune"), (1, "check")):
        part = both[both["uid"] % 2 == half].reset_index(drop=True)
        texts = part["caption_zh"].fillna("").tolist()
        rows: dict[str, list[str]] = {"suggested label map, no review": [], "majority of report labels": []}
        for k in PROSE_KS:
            settings = MineSettings(k=k)
            result = mine(part["uid"].astype(str).tolist(), texts, settings, pre)
            suggested = {cid: suggest_label(medoid, data.known_findings)
                         for cid, medoid in zip(result.clusters["cluster_id"], result.clusters["medoid"])}
            majority = gold_scores.report_majority_names(result, part[labels].eq(1.0))
            for naming, names in zip(rows, (suggested, majority)):
                out = gold_scores.predict(texts, pre, result, settings, names)
                chosen = f" (k={len(result.clusters)})" if k is None else ""
                rows[naming].append(f"{gold_scores.macro_f1(part, out, labels):.3f}{chosen}")
        for naming, scores in rows.items():
            print(f"| {name} ({len(part)}) | {naming} | {' | '.join(scores)} |", flush=True)

REAL = SHARED / "zh" / "real_cxr_dev.csv"
REAL_KS = (None, 10, 20, 30)  # None: the miner's own k (the default)
REAL_MIN_POSITIVES = 5
BOOTSTRAP = 1000
# Advice and comparison markers: a cluster whose members all hold one is a cluster of boilerplate.
ADVICE = ("结合临床", "贵科", "建议", "复查", "随诊", "随访", "同前", "相仿", "附见")


def real_gold(frame) -> tuple[list[set[str]], list[set[str]]]:
    """Each report's positive and uncertain ("?label") gold labels."""
    positive, uncertain = [], []
    for cell in frame["labels"].fillna(""):
        names = [n.strip() for n in str(cell).split(";") if n.strip()]
        positive.append({n for n in names if not n.startswith("?")})
        uncertain.append({n[1:] for n in names if n.startswith("?")})
    return positive, uncertain


def set_scores(pred: list[set[str]], positive: list[set[str]], uncertain: list[set[str]],
               labels: list[str]) -> tuple[float, float]:
    """Report-level micro positive-F1 over label sets, and macro over `labels`; an uncertain gold label
    counts neither as a hit nor as a miss."""
    tp = fp = fn = 0
    per = {label: [0, 0, 0] for label in labels}
    for p, g, u in zip(pred, positive, uncertain):
        hits, extra, missed = p & g, p - g - u, g - p
        tp, fp, fn = tp + len(hits), fp + len(extra), fn + len(missed)
        for label, counts in per.items():
            counts[0] += label in hits
            counts[1] += label in extra
            counts[2] += label in missed
    micro = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    macro = float(np.mean([2 * a / (2 * a + b + c) if a + b + c else 1.0 for a, b, c in per.values()]))
    return micro, macro


def with_interval(pred, positive, uncertain, labels, seed: int = SEED) -> list[str]:
    """Micro and macro F1, each with a 95% percentile bootstrap interval over reports."""
    point = set_scores(pred, positive, uncertain, labels)
    rng = np.random.default_rng(seed)
    n = len(pred)
    draws = []
    for _ in range(BOOTSTRAP):
        at = rng.integers(0, n, n)
        draws.append(set_scores([pred[i] for i in at], [positive[i] for i in at], [uncertain[i] for i in at], labels))
    low, high = np.percentile(np.array(draws), [2.5, 97.5], axis=0)
    return [f"{point[i]:.3f} [{low[i]:.3f}, {high[i]:.3f}]" for i in range(2)]


# What a reviewer of this hospital's archive calls each finding the lexicon suggests (lexicons/zh/known_findings.tsv):
# its 20 labels; every other finding the lexicon names (脊柱侧弯, 皮下积气, 主动脉迂曲) is the hospital's "other".
HOSPITAL_LABELS = {
    "normal": "normal", "lung_markings": "increased lung marking", "aortic_sclerosis": "aortosclerosis",
    "cardiomegaly": "increased heart shadow", "pleural_thickening": "pleural thickening",
    "interstitial": "pulmonary interstitial change", "costophrenic_blunting": "costophrenic angle blunting",
    "pleural_effusion": "pleural effusion", "emphysema": "emphysema", "bronchitis": "bronchitis",
    "pneumonia": "pneumonia", "pneumothorax": "pneumothorax", "nodule": "nodule or mass", "mass": "nodule or mass",
    "fracture": "fracture", "support_device": "device", "post_surgery": "post-surgery",
    "senile_change": "senile cardiopulmonary change", "old_lesion": "calcification or old lesion",
    "atelectasis": "atelectasis"}
OTHER = "other"


def hospital_label(medoid: str, known) -> str | None:
    """The hospital's label for a medoid as a reviewer reads it: the lexicon's suggestion in the hospital's
    words, "other" for a finding outside its labels, None where the lexicon names no finding."""
    from cxrlabel.zh.known_findings import suggest_label

    suggested = suggest_label(medoid, known)
    return None if suggested == medoid else HOSPITAL_LABELS.get(suggested, OTHER)


def reviewer_names(result, votes, naming, reads: dict[int, str | None] | None = None) -> dict[int, str]:
    """Clusters named from report gold as a reviewer reads them. Each cluster and label get the F1 of "this
    cluster's reports carry the label" over the naming part; the cluster with the best F1 is named first,
    by the label most of its reports carry (on a tie, the label its medoid reads as in `reads`, then the better
    F1), and that label is then explained for those reports, so a rare finding's cluster is not named after the
    common finding its reports also hold (脊柱侧弯 beside 纹理稍强), nor after a broad label (other) that
    merely outnumbers it. Members are the positive or uncertain parts within --max-distance."""
    from cxrlabel.zh.cues import Cue

    clauses = result.clauses
    members = clauses[clauses["member"] & clauses["assigned"]
                      & clauses["cue"].isin([Cue.NONE.value, Cue.UNCERTAIN.value])]
    left = votes.to_numpy().copy()
    keep = np.asarray(naming)
    rows = {int(c): np.unique(g["row"].to_numpy()) for c, g in members.groupby("cluster_id")}
    rows = {c: r[keep[r]] for c, r in rows.items()}
    names: dict[int, str] = {}
    while rows:
        # F1 of "this cluster means label L" over the naming part's reports not yet explained
        scored = {c: left[r].sum(axis=0) for c, r in rows.items() if len(r)}
        f1 = {c: 2 * v / (len(rows[c]) + left.sum(axis=0)) for c, v in scored.items()}
        best = max(f1, key=lambda c: (f1[c].max(), -c), default=None)
        if best is None or scored[best].max() == 0:
            break
        read = (votes.columns == (reads or {}).get(best)).astype(int)
        label = int(np.lexsort((f1[best], read, scored[best]))[-1])  # most votes, then the medoid's reading, then F1
        names[best] = str(votes.columns[label])
        left[rows.pop(best), label] = False
    return names


def _ours(ids, texts, naming, positive, k, name_unassigned: bool = True):
    """zh mine at defaults (k=None: the miner's own k), clusters named from the naming part's gold as a
    reviewer would (the label most of a cluster's positive or uncertain members' reports carry), every
    report labelled by zh label. `name_unassigned`: the label map's unassigned line is named "other", as a
    reviewer of this hospital reads it: its "other" is every finding outside its labels, and the parts far
    from every cluster are findings no cluster holds; else it stays `-` (unlabelled), as zh mine writes it."""
    import pandas as pd

    from cxrlabel.zh import gold_scores
    from cxrlabel.zh.data_files import load_zh_data
    from cxrlabel.zh.known_findings import output_name
    from cxrlabel.zh.mine import MineSettings, mine
    from cxrlabel.zh.preprocess import ClausePreprocessor
    from cxrlabel.zh.settings import UNASSIGNED_ROW

    data = load_zh_data()
    pre = ClausePreprocessor(data, drop_laterality=True)
    settings = MineSettings(k=k)
    result = mine(ids, texts, settings, pre)
    labels = sorted({n for p in positive for n in p})
    votes = pd.DataFrame([[name in p and keep for name in labels] for p, keep in zip(positive, naming)],
                         columns=labels)
    reads = {int(cid): hospital_label(medoid, data.known_findings)
             for cid, medoid in zip(result.clusters["cluster_id"], result.clusters["medoid"])}
    names = reviewer_names(result, votes, naming, reads)
    # A cluster no naming-part report speaks for is named as a reviewer reads its medoid: the lexicon's
    # suggestion in the hospital's words (气胸 -> pneumothorax, 胃管 -> device, 脊柱侧弯 -> other).
    for cid, read in reads.items():
        if cid not in names and read:
            names[cid] = read
    if name_unassigned:
        names[UNASSIGNED_ROW] = OTHER
    out = gold_scores.predict(texts, pre, result, settings, names)
    columns = {label: output_name(label, data.chexpert_names) for label in labels}
    pred = [{label for label, column in columns.items() if column in out and row[column] == 1.0}
            for _, row in out.iterrows()]
    advice = sum(all(any(a in clause for a in ADVICE) for clause, _ in members) and len(members) > 0
                 for members in result.clusters["members"])
    return pred, len(result.clusters), advice


def _seed_method(texts, naming, positive, k):
    """The seed-001 method as published: clauses, digits out, plain character Levenshtein, FasterPAM over the
    distinct clauses weighted by count, no cue handling; each cluster named by the majority gold label of
    its clauses' naming-part reports (normal included); a report gets its clauses' names, normal only
    when no other."""
    from collections import Counter

    from cxrlabel.zh.clauses import split_clauses
    from cxrlabel.zh.distance import Metric
    from cxrlabel.zh.normalize import strip_numbers
    from cxrlabel.zh.weighted_kmedoids import assign, solve

    parts = [[c for c in (strip_numbers(x) for x in split_clauses(t)) if c] for t in texts]
    counts = Counter(c for p in parts for c in p)
    unique = sorted(counts)
    matrix = Metric().pairwise(unique)
    medoids = solve(matrix, np.array([counts[u] for u in unique], dtype=np.float64), min(k, len(unique)), seed=SEED)
    cluster = dict(zip(unique, assign(matrix, medoids)[0]))
    votes: dict[int, Counter] = {}
    for p, gold, keep in zip(parts, positive, naming):
        for c in p:
            votes.setdefault(int(cluster[c]), Counter()).update(gold if keep else ())
    # the majority label, a tie going to the first name in order (not to set order, which changes run to run)
    names = {c: min(v.items(), key=lambda kv: (-kv[1], kv[0]))[0] for c, v in votes.items() if v}
    pred = []
    for p in parts:
        found = {names[int(cluster[c])] for c in p if int(cluster[c]) in names}
        pred.append(found - {"normal"} if found - {"normal"} else found)
    return pred


def real_table() -> None:
    """Real chest radiograph reports: mined on every dev report, named from the naming part (id % 4 == 0, the
    part the rules were tuned on), scored on the check part (id % 4 == 2)."""
    if not REAL.is_file():
        print(f"real: skipped, {REAL} is not here (development data, never shipped)")
        return
    import pandas as pd

    frame = pd.read_csv(REAL, dtype={"id": int}, keep_default_na=False)
    naming = (frame["id"] % 4 == 0).tolist()
    check = [not n for n in naming]
    texts = frame["结论"].tolist()
    positive, uncertain = real_gold(frame)

    def pick(values: list) -> list:  # the check part's rows
        return [v for v, c in zip(values, check) if c]

    held_pos, held_unc = pick(positive), pick(uncertain)
    counts = pd.Series([n for p in held_pos for n in p]).value_counts()
    labels = sorted(counts[counts >= REAL_MIN_POSITIVES].index)
    print(f"real_cxr_dev.csv: mined on all {len(frame)} reports, clusters named from the gold of the naming part "
          f"({sum(naming)} reports, id % 4 == 0), scored on the check part ({sum(check)} reports, id % 4 == 2); "
          f"report-level positive F1 over label sets, 95% bootstrap intervals over reports; macro over the "
          f"{len(labels)} labels with >= {REAL_MIN_POSITIVES} positives in the check part: {', '.join(labels)}")
    heads = ["default (k chosen)" if k is None else f"k={k}" for k in REAL_KS]
    print(f"| run | {' | '.join(heads)} |")
    print(f"|---|{'---|' * len(REAL_KS)}")
    ours, seed, chosen = [], [], []
    for k in REAL_KS:
        pred, n_clusters, advice = _ours(frame["id"].astype(str).tolist(), texts, naming, positive, k)
        ours.append(with_interval(pick(pred), held_pos, held_unc, labels))
        chosen.append(f"{n_clusters} clusters, {advice} of only advice")
        seed.append(with_interval(pick(_seed_method(texts, naming, positive, k or n_clusters)), held_pos, held_unc,
                                  labels))
    print(f"| ours, micro | {' | '.join(s[0] for s in ours)} |")
    print(f"| ours, macro over labels with ≥ {REAL_MIN_POSITIVES} positives | {' | '.join(s[1] for s in ours)} |")
    print(f"| ours, clusters | {' | '.join(chosen)} |")
    print(f"| seed-001 method, micro | {' | '.join(s[0] for s in seed)} |")
    print(f"| seed-001 method, macro | {' | '.join(s[1] for s in seed)} |", flush=True)
    pred, _, _ = _ours(frame["id"].astype(str).tolist(), texts, naming, positive, None, name_unassigned=False)
    unnamed = with_interval(pick(pred), held_pos, held_unc, labels)
    print(f"default k with the unassigned line left unlabelled (-, as zh mine writes it): micro {unnamed[0]}, "
          f"macro {unnamed[1]}", flush=True)


def full_fit() -> dict:
    """The whole full-matrix fit of 20k distinct clauses with k=20 (what `zh mine -k 20` does with them, the
    import of the k-medoids library included), in a fresh process; issue 26 asks < 25 s."""
    full = _in_child(_fit_clauses, False)
    print(f"full matrix, {N_UNIQUE} distinct clauses, k={K}: {full['seconds']:.1f} s (target < 25 s), "
          f"traced peak {full['traced_mib']:.0f} MiB, peak RSS {full['rss_mib']:.0f} MiB, loss {full['loss']:.1f}")
    return full


def scale() -> None:
    print(HOW)
    matrix_seconds, inits = _in_child(_inits)
    build_loss = inits["build"][1]
    print(f"FasterPAM starts on one {N_UNIQUE}-clause matrix ({matrix_seconds:.1f} s to compute), k={K}:")
    for name, (seconds, loss) in inits.items():
        print(f"  {name}: {seconds:.1f} s, loss {loss:.1f}, ratio to build {loss / build_loss:.4f}")
    full = full_fit()
    chosen = _in_child(_fit_chosen)
    print(f"default (k chosen per finding), same {N_UNIQUE} clauses: {chosen['seconds']:.1f} s, k={chosen['k']}, "
          f"traced peak {chosen['traced_mib']:.0f} MiB, peak RSS {chosen['rss_mib']:.0f} MiB, loss {chosen['loss']:.1f}")
    sampled = _in_child(_fit_clauses, True)
    print(f"CLARA on the same clauses ({N_SAMPLES} samples of {SAMPLE}): {sampled['seconds']:.1f} s, "
          f"traced peak {sampled['traced_mib']:.0f} MiB, peak RSS {sampled['rss_mib']:.0f} MiB, loss {sampled['loss']:.1f}")
    print(f"loss ratio sampled/full: {sampled['loss'] / full['loss']:.4f} (target <= 1.05)")
    archive = _in_child(_archive_run)
    print(f"{N_REPORTS} synthetic reports ({archive['clauses']} clauses, {archive['distinct']} distinct; clauses drawn "
          f"Zipf(1.3) from {POOL} synthetic texts, with cue words and item numbers) mined with --sample {SAMPLE}: "
          f"{archive['seconds']:.1f} s, traced peak {archive['traced_mib']:.0f} MiB, peak RSS {archive['rss_mib']:.0f} MiB, "
          f"top-10 coverage {archive['coverage10']:.1%}")


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.zh", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", action="store_true", help="only the corpora/zh F1 table")
    parser.add_argument("--prose", action="store_true", help="only the Open-i Chinese prose table (dev data)")
    parser.add_argument("--real", action="store_true",
                        help="only the real chest radiograph reports table (dev data), beside the seed-001 method")
    parser.add_argument("--scale", action="store_true", help="only the 20k-clause and archive timings")
    parser.add_argument("--full-fit", action="store_true", help="only the 20k-clause full-matrix fit with k=20")
    args = parser.parse_args(argv if argv is not None else [])
    print("== cxrlabel zh: clause miner benchmark ==")
    if args.full_fit:
        full_fit()
        return
    everything = not (args.corpus or args.prose or args.real or args.scale)
    if everything or args.corpus:
        corpus_table()
    if everything or args.prose:
        prose_table()
    if everything or args.real:
        real_table()
    if everything or args.scale:
        scale()


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
