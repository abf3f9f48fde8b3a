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
from .classify import classify
from .graph import Graph
from .normalize import normalize
from .parsers import load_parser
from .resources import lexicons_dir, rules_dir

CACHE_LIMIT = 200_000  # parsed sentences kept per process


@dataclass(frozen=True)
class LabelerConfig:
    parser: str = "spacy"
    sections: str = "default"
    lexicon_dirs: tuple[str, ...] = ()  # layered over the shipped English lexicons
    rules_dir: str | None = None
    spacy_model: str | None = None


@dataclass(frozen=True)
class Mention:
    observation: str
    kind: str  # mention or auxiliary
    phrase: str  # as written in the report
    start: int  # character offsets into the report
    end: int
    sentence: str
    sentence_start: int
    label: float
    rule: str


@dataclass
class ReportLabels:
    text: str  # the text that was labelled (the chosen sections)
    labels: dict[str, float | None]
    mentions: list[Mention] = field(default_factory=list)
    decisions: list[tuple[str, float | None, str]] = field(default_factory=list)


class Labeler:
    def __init__(self, config: LabelerConfig = LabelerConfig()) -> None:
        self.config = config
        shipped_lex = lexicons_dir() / "en"
        self.lexicon = lexicon.load([shipped_lex] + [Path(d) for d in config.lexicon_dirs])
        rdir = Path(config.rules_dir) if config.rules_dir else rules_dir() / "en"
        self.rules = ruleset.load(rdir)
        self.aggregation = aggregate.load(rdir / "aggregation.ini")
        self.abbreviations = str(shipped_lex / "abbreviations.txt")
        self.parser = load_parser(config.parser, spacy_model=config.spacy_model)
        self._cache: dict[str, Graph] = {}
        self.cache_hits = 0
        self.cache_misses = 0

    @property
    def observations(self) -> list[str]:
        return self.lexicon.observations

    def _graphs(self, texts: list[str]) -> dict[str, Graph]:
        """Parse each distinct sentence once; radiology sentences repeat heavily."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        self.cache_hits += len(texts) - len(todo)
        self.cache_misses += len(todo)
        if len(self._cache) + len(todo) > CACHE_LIMIT:
            self._cache.clear()
        for text, graph in zip(todo, self.parser.parse(todo)):
            self._cache[text] = graph
        return {t: self._cache[t] for t in texts}

    def label(self, texts: Sequence[str]) -> list[ReportLabels]:
        found = []  # per report: (labelled text, [(sentence text, sentence start, matches, norm)])
        to_parse = []
        for text in texts:
            text = "" if text is None else str(text)
            spans = sections.select(text, self.config.sections)
            labelled = " ".join(text[s:e].strip() for s, e in spans).strip()
            hits = []
            for s, e in sentences.split(text, spans, self.abbreviations):
                norm = normalize(text[s:e], base=s)
                matches = self.lexicon.find(norm)
                if matches:
                    hits.append((text[s:e], s, matches, norm))
                    to_parse.append(text[s:e])
            found.append((text, labelled, hits))
        graphs = self._graphs(to_parse)
        results = []
        for text, labelled, hits in found:
            if not labelled:
                results.append(ReportLabels(labelled, {o: None for o in self.observations}))
                continue
            mentions, by_obs = [], {}
            for sentence, s_start, matches, norm in hits:
                graph = graphs[sentence]
                for m in matches:
                    start, end = norm.original_span(m.first, m.last)
                    tokens = graph.tokens_in(start - s_start, end - s_start)
                    value, rule_id = classify(graph, tokens, self.rules, m.observation) if tokens else (1.0, "default.positive")
                    if value == 1.0 and not m.qualified:
                        continue  # "heart size" alone says nothing; "normal heart size" was kept as negative
                    mentions.append(Mention(m.observation, m.kind, text[start:end], start, end, sentence, s_start,
                                            value, rule_id))
                    by_obs.setdefault(m.observation, []).append(value)
            labels, decisions = aggregate.aggregate(by_obs, self.observations, self.lexicon.auxiliary, self.aggregation)
            results.append(ReportLabels(labelled, labels, mentions, decisions))
        return results


@lru_cache(maxsize=2)
def labeler_for(config: LabelerConfig) -> Labeler:
    """One Labeler per process and configuration."""
    return Labeler(config)


def label_batch(texts: Sequence[str], config: LabelerConfig = LabelerConfig()) -> list[ReportLabels]:
    """Label a batch of reports; the pure entry point for workers and distributed engines."""
    return labeler_for(config).label(texts)
