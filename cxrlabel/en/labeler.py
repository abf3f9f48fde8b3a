"""The English labeler: a batch of report texts to a batch of labels, stage by stage (`Pipeline.label`).

Models, lexicons and rules are loaded once per process (`pipeline_for`), so the archive engines' task
(`en.chunks.label_chunk`) labels chunk after chunk without reloading anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import blake2b
from pathlib import Path
from typing import NamedTuple, Sequence

import pandas as pd

from . import aggregate, lexicon, ruleset, sections, sentences
from .classify import POSITIVE_RULE, classify
from ..errors import ReportError, UserError
from .graph import Graph
from .normalize import Normalized, normalize
from .parsers import PARSER_CHOICES, load_parser
from ..resources import lexicons_dir, rules_dir
from ..memo import Memo, PackedMemo
from .settings import CACHE_LIMIT



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

    def __post_init__(self) -> None:
        for name, choices in (("parser", PARSER_CHOICES), ("sections", sections.SECTION_CHOICES)):
            if getattr(self, name) not in choices:
                raise UserError(f"${name} {getattr(self, name)!r} is not one of: {', '.join(choices)}")

    def needs_torch(self) -> bool:
        """Only stanza, or a spaCy model the user names (a transformer one, say), can run on torch."""
        return self.parser == "stanza" or self.spacy_model is not None

    def unused_packages(self) -> tuple[str, ...]:
        """Packages labelling need not import though its libraries would: thinc imports torch and nltk imports
        scipy whenever they are installed. Hidden in each worker, and in the extract process while it labels
        (`archive.local_engine.hidden_while`); kept when the parser may need either."""
        return () if self.needs_torch() else ("torch", "scipy")

    def lexicon_folders(self) -> list[Path]:
        """The shipped English lexicons, then the user's layered over them."""
        return [lexicons_dir() / "en", *map(Path, self.lexicon_dirs)]

    def rules_folder(self) -> Path:
        return Path(self.rules_dir) if self.rules_dir else rules_dir() / "en"

    def data_folders(self) -> list[Path]:
        """Every folder of data files labelling reads: the one list both the Pipeline loads from and a run's
        identity hashes, so an edit to any of them between runs stops --resume."""
        return [*self.lexicon_folders(), self.rules_folder()]

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


class SentenceMention(NamedTuple):
    """A mention as a sentence's analysis holds it, with offsets into the sentence: what the sentence memory
    keeps and what workers pass each other (`Analyses`)."""

    observation: str
    kind: str
    start: int
    end: int
    label: float
    rule: str


SentenceMentions = tuple[SentenceMention, ...]
Analyses = dict[str, SentenceMentions]  # sentence text -> its mentions
Remembered = dict[bytes, SentenceMentions]  # the same, keyed by `sentence_key`: what the memory keeps and workers pass each other


KEY_SIZE = 16  # bytes of a sentence's key


def sentence_key(sentence: str) -> bytes:
    """What the sentence memory keys an analysis by: 16 bytes of digest (a collision is as likely as guessing
    a 128-bit key) instead of the sentence, which is several times longer and is kept by the hundred thousand."""
    return blake2b(sentence.encode("utf-8", "surrogatepass"), digest_size=KEY_SIZE).digest()


@dataclass(frozen=True)
class SplitReport:
    """A report cut into the sentences to label: (start, end, section rank) in `text`."""

    text: str  # the report as given
    labelled: str  # the text that was labelled (the chosen sections)
    sentences: list[tuple[int, int, int]]


@dataclass
class ReportLabels:
    text: str  # the text that was labelled (the chosen sections)
    labels: dict[str, float | None]
    mentions: list[Mention] = field(default_factory=list)
    decisions: list[tuple[str, float | None, str]] = field(default_factory=list)


class Pipeline:
    """The English stages with their models, lexicons and rules loaded: texts in, `ReportLabels` out. The
    public face that wraps it, with input checks and a DataFrame, is `cxrlabel.Labeler` (api.py)."""

    def __init__(self, config: LabelerConfig = LabelerConfig(), cache_limit: int = CACHE_LIMIT) -> None:
        """`cache_limit` analysed sentences are kept for reuse; 0 analyses every sentence every time."""
        self.config = config
        lexicons = config.lexicon_folders()
        self.lexicon = lexicon.load(lexicons)
        self.rules = ruleset.load(config.rules_folder())
        self.aggregation = aggregate.load(config.rules_folder() / "aggregation.ini")
        self.abbreviations = str(lexicons[0] / "abbreviations.txt")
        self.parser = load_parser(config.parser, **config.parser_options())
        self.graph_cues = ruleset.CueIndex([r for rules in self.rules.stages.values() for r in rules if r.mode in ("graph", "any")])
        self.memory: PackedMemo[SentenceMentions] = PackedMemo(cache_limit, KEY_SIZE)
        # Analyses repeat far more than sentences do (an archive's 143k kept sentences held 13.5k distinct
        # mentions): the memory keeps one object per distinct mention and per distinct analysis.
        self.distinct: Memo[tuple, tuple] = Memo(cache_limit)
        self.cache_hits = 0
        self.cache_misses = 0
        self.journal: Remembered | None = None  # a dict: fresh analyses are written there too

    @property
    def observations(self) -> list[str]:
        return self.lexicon.observations

    def label(self, texts: Sequence[str]) -> list[ReportLabels]:
        """The stages in order: sections and sentences, then each distinct sentence's mentions and their
        labels (normalisation, lexicon, parse, rules; remembered), then each report's aggregation."""
        reports = [self.split(index, text) for index, text in enumerate(texts)]
        analysed = self.remembered([r.text[s:e] for r in reports for s, e, _ in r.sentences])
        self.parser.forget()
        return [self.aggregate(report, analysed) for report in reports]

    def split(self, index: int, text: object) -> SplitReport:
        """Sections and sentences of one report (`index`: its place in the batch, for a ReportError)."""
        text = "" if text is None or text != text else str(text)  # None and NaN are empty reports
        if self.parser.reads_trees:  # --parser ptb: the cell holds trees; their leaves are the sentences
            try:
                text, spans = self.parser.read(text)
            except UserError as exc:
                raise ReportError(index, f"bracketed trees: {exc.args[0]}") from None
            return SplitReport(text, text, [(s, e, 0) for s, e in spans])
        ranked = sections.ranked(text, self.config.sections)
        labelled = " ".join(text[s:e].strip() for s, e, _ in ranked).strip()
        if not labelled:
            return SplitReport(text, labelled, [])
        by_rank: dict[int, list[tuple[int, int]]] = {}
        for s, e, rank in ranked:
            by_rank.setdefault(rank, []).append((s, e))
        split = [(s, e, rank) for rank, spans in by_rank.items() for s, e in sentences.split(text, spans, self.abbreviations)]
        return SplitReport(text, labelled, sorted(split))

    def remembered(self, sentences_: list[str]) -> Analyses:
        """`analyse` wrapped in the sentence memory: each distinct sentence is analysed once per process, since
        the analysis depends on the sentence text alone and radiology sentences repeat heavily."""
        keys = {sentence_key(s): s for s in sentences_}

        def analyse(todo: list[bytes]) -> Remembered:
            return dict(zip(todo, self.analyse([keys[k] for k in todo]).values()))

        analysed, fresh = self.memory.through(analyse, keys)
        self.cache_misses += len(fresh)
        self.cache_hits += len(sentences_) - len(fresh)
        if self.journal is not None:
            self.journal.update(fresh)
        return {keys[k]: rows for k, rows in analysed.items()}

    def learn(self, analyses: Remembered) -> None:
        """Remember analyses another process made with the same configuration, as if made here."""
        keys = list(analyses)
        self.memory.keep({s: self.shared(analyses[s]) for s, kept in zip(keys, self.memory.lookup(keys)) if kept is None})

    def shared(self, rows: SentenceMentions) -> SentenceMentions:
        """`rows` as the one object kept for an equal analysis, each mention too, so that the sentence memory
        grows by its sentences and not by copies of the same few analyses."""
        return self.distinct.recall(tuple(self.distinct.recall(row, _same) for row in rows), _same)

    def analyse(self, sentences_: list[str]) -> Analyses:
        """Mentions and their labels per sentence: normalise, find lexicon mentions, parse the sentences a
        rule could match in, and classify each mention by the negation and uncertainty rules."""
        norms = {s: normalize(s) for s in sentences_}
        found = {s: self.lexicon.find(norms[s]) for s in sentences_}
        needs_parse = [s for s in sentences_
                       if found[s] and self.rule_may_match(s, frozenset(m.observation for m in found[s]))]
        graphs = dict(zip(needs_parse, self.parser.parse(needs_parse)))
        return {s: self.classified(norms[s], found[s], graphs.get(s)) for s in sentences_}

    def rule_may_match(self, sentence: str, observations: frozenset[str]) -> bool:
        """False only when the parser can tell, without parsing, that no rule that admits one of the
        `observations` of the sentence's mentions has its cue words in the sentence."""
        bound = self.parser.words_bound(sentence)
        return bound is None or self.graph_cues.any_possible(bound, observations)

    def classified(self, norm: Normalized, found: list[lexicon.Match], graph: Graph | None) -> SentenceMentions:
        """Each mention's label and deciding rule; without a graph no rule could match, so it is positive."""
        rows = []
        possible: dict[int, bool] = {}  # per rule: does this sentence hold its cue words
        for m in found:
            start, end = norm.original_span(m.first, m.last)
            tokens = graph.tokens_in(start, end) if graph is not None else []
            value, rule_id = (classify(graph, tokens, self.rules, m.observation, possible) if tokens
                              else (1.0, POSITIVE_RULE))
            if value == 1.0 and not m.qualified:
                continue  # "heart size" alone says nothing; "normal heart size" was kept as negative
            rows.append(SentenceMention(m.observation, m.kind, start, end, value, rule_id))
        return self.shared(tuple(rows))

    def aggregate(self, report: SplitReport, analysed: Analyses) -> ReportLabels:
        """The report's mentions, and its labels: the best-ranked section's verdict, then the aggregation rules."""
        if not report.labelled:
            return ReportLabels(report.labelled, {o: None for o in self.observations})
        text, mentions, by_rank = report.text, [], {}
        for s, e, rank in report.sentences:
            sentence = text[s:e]
            for obs, kind, start, end, value, rule_id in analysed[sentence]:
                mentions.append(Mention(obs, kind, text[s + start:s + end], s + start, s + end, sentence, value, rule_id))
                by_rank.setdefault(rank, {}).setdefault(obs, []).append(value)
        by_obs, overruled = aggregate.by_rank(by_rank)
        labels, decisions = aggregate.aggregate(by_obs, self.observations, self.lexicon.auxiliary, self.aggregation)
        return ReportLabels(report.labelled, labels, mentions, overruled + decisions)


def labels_frame(results: list[ReportLabels], observations: list[str]) -> pd.DataFrame:
    """The label rows of a batch: Reports (the text that was labelled), then one float column per observation."""
    frame = pd.DataFrame([r.labels for r in results], columns=observations, dtype="float64")
    frame.insert(0, "Reports", [r.text for r in results])
    return frame


def unlabelled_reports(texts: Sequence[object], results: list[ReportLabels]) -> int:
    """Reports that hold text of which `sections` chose none (no IMPRESSION header, say): their rows are blank."""
    return sum(1 for text, result in zip(texts, results) if not result.text and isinstance(text, str) and text.strip())


def unlabelled_warning(count: int, total: int, choice: str) -> str:
    """What extract and the Python API say of such reports: a count, never a report."""
    return (f"{count} of {total} reports have text but none in the sections chosen ($sections {choice!r}: no such "
            "header), so their rows are blank; $sections 'impression-or-all' labels the whole text of a report "
            "without the section, $sections 'all' every report's")


def _same(value: tuple) -> tuple:
    return value


@lru_cache(maxsize=2)
def pipeline_for(config: LabelerConfig, cache_limit: int = CACHE_LIMIT) -> Pipeline:
    """One Pipeline per process, configuration and sentence memory size."""
    return Pipeline(config, cache_limit)
