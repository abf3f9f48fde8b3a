"""The English labeler as a pure function from a batch of report texts to a batch of labels.

Models, lexicons and rules are loaded once per process (`Labeler`), so multiprocessing or a
distributed engine can call `label_batch` on chunks without reloading anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from . import aggregate, lexicon, ruleset, sections, sentences
from .classify import POSITIVE_RULE, classify
from ..errors import ReportError, UserError
from .normalize import normalize
from .parsers import load_parser
from ..resources import lexicons_dir, rules_dir
from ..memo import Memo

CACHE_LIMIT = 200_000  # analysed sentences kept per process


@dataclass(frozen=True)
class LabelerConfig:
    parser: str = "spacy"
    sections: str = "default"
    lexicon_dirs: tuple[str, ...] = ()  # layered over the shipped English lexicons
    rules_dir: str | None = None
    spacy_model: str | None = None
    stanza_dir: str | None = None  # else STANZA_RESOURCES_DIR, else stanza's default folder
    stanza_package: str | None = None
    bllip_model: str | None = None  # else BLLIP_MODEL
    corenlp_jar: str | None = None  # PTB -> UD with CoreNLP instead of our converter

    def needs_torch(self) -> bool:
        """Only stanza, or a spaCy model the user names (a transformer one, say), can run on torch."""
        return self.parser == "stanza" or self.spacy_model is not None

    def unused_packages(self) -> tuple[str, ...]:
        """Packages labelling need not import though its libraries would: thinc imports torch and nltk imports
        scipy whenever they are installed. Hidden in each worker, and in the extract process while it labels
        (`engines.local.hidden_while`); kept when the parser may need either."""
        return () if self.needs_torch() else ("torch", "scipy")

    def parser_options(self) -> dict[str, str | None]:
        return {"spacy_model": self.spacy_model, "stanza_dir": self.stanza_dir, "stanza_package": self.stanza_package,
                "bllip_model": self.bllip_model, "corenlp_jar": self.corenlp_jar}


@dataclass(frozen=True)
class Mention:
    observation: str
    kind: str  # mention or auxiliary
    phrase: str  # as written in the report
    start: int  # character offsets into the report
    end: int
    sentence: str
    label: float
    rule: str


@dataclass
class ReportLabels:
    text: str  # the text that was labelled (the chosen sections)
    labels: dict[str, float | None]
    mentions: list[Mention] = field(default_factory=list)
    decisions: list[tuple[str, float | None, str]] = field(default_factory=list)


class Labeler:
    def __init__(self, config: LabelerConfig = LabelerConfig(), cache_limit: int = CACHE_LIMIT) -> None:
        """`cache_limit` analysed sentences are kept for reuse; 0 analyses every sentence every time."""
        self.config = config
        shipped_lex = lexicons_dir() / "en"
        self.lexicon = lexicon.load([shipped_lex] + [Path(d) for d in config.lexicon_dirs])
        rdir = Path(config.rules_dir) if config.rules_dir else rules_dir() / "en"
        self.rules = ruleset.load(rdir)
        self.aggregation = aggregate.load(rdir / "aggregation.ini")
        self.abbreviations = str(shipped_lex / "abbreviations.txt")
        self.parser = load_parser(config.parser, **config.parser_options())
        self.reads_trees = getattr(self.parser, "reads_trees", False)
        self.words_bound = getattr(self.parser, "words_bound", None)
        self.graph_cues = ruleset.CueIndex([r for rules in self.rules.stages.values() for r in rules if r.mode in ("graph", "any")])
        self._cache: Memo[str, list[tuple]] = Memo(cache_limit)
        self.cache_hits = 0
        self.cache_misses = 0
        self.journal: dict[str, list[tuple]] | None = None  # a dict: fresh analyses are written there too

    def learn(self, analyses: dict[str, list[tuple]]) -> None:
        """Remember analyses another process made with the same configuration, as if made here."""
        self._cache.keep({s: rows for s, rows in analyses.items() if self._cache.get(s) is None})

    @property
    def observations(self) -> list[str]:
        return self.lexicon.observations

    def _analyse(self, sentences_: list[str]) -> dict[str, list[tuple]]:
        """Mentions and their labels per distinct sentence, as (observation, kind, start, end, label, rule)
        with offsets into the sentence. Everything here depends on the sentence text alone, and radiology
        sentences repeat heavily, so each distinct sentence is analysed once per process."""
        known, todo = {}, []
        for sentence in dict.fromkeys(sentences_):
            rows = self._cache.get(sentence)
            if rows is None:
                todo.append(sentence)
            else:
                known[sentence] = rows
        self.cache_hits += len(sentences_) - len(todo)
        self.cache_misses += len(todo)
        norms = {s: normalize(s) for s in todo}
        found = {s: self.lexicon.find(norms[s]) for s in todo}
        needs_parse = [s for s in todo if found[s] and self._rule_may_match(s)]
        graphs = dict(zip(needs_parse, self.parser.parse(needs_parse)))
        fresh: dict[str, list[tuple]] = {}
        for sentence in todo:
            norm, rows = norms[sentence], []
            for m in found[sentence]:
                start, end = norm.original_span(m.first, m.last)
                graph = graphs.get(sentence)  # None: no rule could match, so every mention is positive
                tokens = graph.tokens_in(start, end) if graph is not None else []
                value, rule_id = classify(graph, tokens, self.rules, m.observation) if tokens else (1.0, POSITIVE_RULE)
                if value == 1.0 and not m.qualified:
                    continue  # "heart size" alone says nothing; "normal heart size" was kept as negative
                rows.append((m.observation, m.kind, start, end, value, rule_id))
            fresh[sentence] = rows
        analysed = known | fresh
        self._cache.keep(analysed)
        if self.journal is not None:
            self.journal.update(fresh)
        return analysed

    def _rule_may_match(self, sentence: str) -> bool:
        """False only when the parser can tell, without parsing, that no rule's cue words are in the sentence."""
        bound = self.words_bound(sentence) if self.words_bound is not None else None
        return bound is None or self.graph_cues.any_possible(bound)

    def _split(self, index: int, text: object) -> tuple[str, str, list[tuple[int, int, int]]]:
        """(report text, the labelled text, [(sentence start, sentence end, section rank)]) for one report."""
        text = "" if text is None or text != text else str(text)  # None and NaN are empty reports
        if self.reads_trees:  # --parser ptb: the cell holds trees; their leaves are the sentences
            try:
                text, spans = self.parser.read(text)
            except UserError as exc:
                raise ReportError(index, f"bracketed trees: {exc}") from None
            return text, text, [(s, e, 0) for s, e in spans]
        ranked = sections.ranked(text, self.config.sections)
        labelled = " ".join(text[s:e].strip() for s, e, _ in ranked).strip()
        if not labelled:
            return text, labelled, []
        by_rank: dict[int, list[tuple[int, int]]] = {}
        for s, e, rank in ranked:
            by_rank.setdefault(rank, []).append((s, e))
        split = [(s, e, rank) for rank, spans in by_rank.items() for s, e in sentences.split(text, spans, self.abbreviations)]
        return text, labelled, sorted(split)

    def label(self, texts: Sequence[str]) -> list[ReportLabels]:
        split = [self._split(i, text) for i, text in enumerate(texts)]
        analysed = self._analyse([text[s:e] for text, _, spans in split for s, e, _ in spans])
        if self.reads_trees:
            self.parser.forget()
        results = []
        for text, labelled, spans in split:
            if not labelled:
                results.append(ReportLabels(labelled, {o: None for o in self.observations}))
                continue
            mentions, by_rank = [], {}
            for s, e, rank in spans:
                sentence = text[s:e]
                for obs, kind, start, end, value, rule_id in analysed[sentence]:
                    mentions.append(Mention(obs, kind, text[s + start:s + end], s + start, s + end, sentence, value, rule_id))
                    by_rank.setdefault(rank, {}).setdefault(obs, []).append(value)
            by_obs, overruled = aggregate.by_rank(by_rank)
            labels, decisions = aggregate.aggregate(by_obs, self.observations, self.lexicon.auxiliary, self.aggregation)
            results.append(ReportLabels(labelled, labels, mentions, overruled + decisions))
        return results


@lru_cache(maxsize=2)
def labeler_for(config: LabelerConfig, cache_limit: int = CACHE_LIMIT) -> Labeler:
    """One Labeler per process, configuration and sentence cache size."""
    return Labeler(config, cache_limit)


def label_batch(texts: Sequence[str], config: LabelerConfig = LabelerConfig()) -> list[ReportLabels]:
    """Label a batch of reports; the pure entry point for workers and distributed engines."""
    return labeler_for(config).label(texts)
