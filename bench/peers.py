"""A peer on the same footing: negspacy's NegEx against our labeler on Open-i dev (definite-positive gold).

NegEx runs in a blank spaCy English pipeline (sentencizer, nothing downloaded) over entities that an
EntityRuler finds from our own lexicons (lexicons/en: mention, unmention and auxiliary phrases as
cxrlabel.en.lexicon loads them), and its labels go through our aggregation. So only the negation
detection differs: NegEx's trigger lists and termination against our rules. NegEx has no uncertainty
and no qualifiers, so phrases that need one ("heart size | requires: enlarged") are left out of it.
Every labeler sees the same text (--sections, the labeler's default unless named). Needs negspacy
(pip install negspacy). Run: python -m bench.peers [--half check|tune|all] [--profile broad|strict]
"""
from __future__ import annotations

import argparse
import importlib.util

import pandas as pd

from bench.openi import HALVES, SHARED, interval, label, load_gold, macro, micro, resampled, score, summary
from cxrlabel.en import aggregate, lexicon, sections
from cxrlabel.en.labeler import LabelerConfig, Pipeline
from cxrlabel.resources import lexicons_dir, rules_dir

UNMENTION = "unmention"  # entity label of phrases that cancel an overlapping mention


class NegexLabeler:
    """Report labels from NegEx over our lexicon's mentions, aggregated with our rules."""

    def __init__(self, choice: str = "default") -> None:
        import spacy
        from negspacy.negation import Negex  # noqa: F401  (registers the "negex" factory)

        self.lexicon = lexicon.load([lexicons_dir() / "en"])
        self.rules = aggregate.load(rules_dir() / "en" / "aggregation.ini")
        self.choice = choice
        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        ruler = self.nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
        ruler.add_patterns(self._patterns())
        names = self.lexicon.observations + self.lexicon.auxiliary
        self.nlp.add_pipe("negex", config={"ent_types": names})

    def _patterns(self) -> list[dict]:
        """One token pattern per lexicon phrase variant; a hyphen may join the words ("pneumo-thorax")."""
        patterns = []
        for words, phrases in self.lexicon.table.items():
            for phrase in phrases:
                if phrase.requires:
                    continue
                tokens: list[dict] = []
                for w in words:
                    tokens += ([{"ORTH": "-", "OP": "?"}] if tokens else []) + [{"LOWER": w}]
                patterns.append({"label": UNMENTION if phrase.kind == UNMENTION else phrase.observation,
                                 "pattern": tokens})
        return patterns

    def label(self, texts: list[str]) -> pd.DataFrame:
        selected = [" ".join(t[s:e] for s, e in sections.select(t, self.choice)) for t in texts]
        rows = []
        for doc in self.nlp.pipe(selected, batch_size=256):
            by_obs: dict[str, list[float]] = {}
            for ent in doc.ents:
                if ent.label_ != UNMENTION:
                    by_obs.setdefault(ent.label_, []).append(0.0 if ent._.negex else 1.0)
            labels, _ = aggregate.aggregate(by_obs, self.lexicon.observations, self.lexicon.auxiliary, self.rules)
            rows.append(labels)
        return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, prog="python -m bench.peers",
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--half", default="check", choices=HALVES, help="uid half (bench.openi); default: check")
    ap.add_argument("--profile", default="broad", choices=("broad", "strict"))
    ap.add_argument("--sections", default="default", choices=sections.SECTION_CHOICES)
    args = ap.parse_args(argv)
    if not SHARED.exists():
        print(f"peers: skipped, {SHARED} is absent")
        return
    if importlib.util.find_spec("negspacy") is None:
        print("peers: skipped, negspacy is not installed (pip install negspacy)")
        return
    gold = load_gold(args.profile, args.half)
    texts = gold.report_text.fillna("")
    runs = {"NegEx": NegexLabeler(args.sections).label(texts.tolist())}
    for parser in ("none", "spacy"):
        runs[f"ours {parser}"] = label(Pipeline(LabelerConfig(parser=parser, sections=args.sections)), texts)
    scores = {name: score(pred, gold) for name, pred in runs.items()}
    choice = sections.DEFAULT if args.sections == "default" else args.sections
    print(f"Open-i dev, {args.half} half ({args.profile} gold, --sections {choice}): {len(gold)} judgeable "
          f"reports; positive F1, -1 as negative; macro and micro (pooled over cells) below")
    print(f"{'observation':28s} " + " ".join(f"{n:>10s}" for n in runs))
    for obs in scores["NegEx"]["uncertain_as_negative"]:
        print(f"{obs:28s} " + " ".join(f"{s['uncertain_as_negative'][obs]['f1']:10.3f}" for s in scores.values()))
    for key, title in (("uncertain_as_negative", "-1 as negative"), ("uncertain_as_positive", "-1 as positive")):
        print(f"{'macro, ' + title:28s} " + " ".join(f"{macro(s[key]):10.3f}" for s in scores.values()))
        print(f"{'micro, ' + title:28s} " + " ".join(f"{micro(s[key]):10.3f}" for s in scores.values()))
    print("\nbootstrap 95% intervals over reports (the same resamples for each labeler), -1 as negative:")
    for name, pred in runs.items():
        print(f"{name:12s} {summary(pred, gold, scores[name]['uncertain_as_negative'])}")
    observations = list(scores["NegEx"]["uncertain_as_negative"])
    samples = {name: resampled(pred, gold, observations) for name, pred in runs.items()}
    measures = {"macro": macro, "micro": micro}
    print("paired differences on the same resamples (ours spacy, the default, minus each other labeler):")
    for name in ("NegEx", "ours none"):
        cells = []
        for k, measure in measures.items():
            diff = measure(scores["ours spacy"]["uncertain_as_negative"]) - measure(scores[name]["uncertain_as_negative"])
            lo, hi = interval(samples["ours spacy"][k] - samples[name][k])
            cells.append(f"{k} {diff:+.3f} [{lo:+.3f}, {hi:+.3f}]")
        print(f"  minus {name:10s} " + "  ".join(cells))

if __name__ == "__main__":
    main()
