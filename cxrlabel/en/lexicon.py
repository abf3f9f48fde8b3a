"""Mention lexicons: phrase files per observation, matched over normalised words.

Layout of a lexicon folder (see lexicons/README.md):
    mention/<Observation>.txt     phrases that mention the observation; each file is an output column
    unmention/<Observation>.txt   phrases that cancel an overlapping mention ("pericardial effusion")
    auxiliary/<Name>.txt          mentions that feed aggregation rules but are not columns
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from .normalize import Normalized, normalize

CHEXPERT = (
    "No Finding", "Enlarged Cardiomediastinum", "Cardiomegaly", "Lung Lesion", "Lung Opacity", "Edema",
    "Consolidation", "Pneumonia", "Atelectasis", "Pneumothorax", "Pleural Effusion", "Pleural Other",
    "Fracture", "Support Devices",
)
QUALIFIER_WINDOW = 8  # words either side of a mention in which a required qualifier must appear


@dataclass(frozen=True)
class Phrase:
    observation: str
    words: tuple[str, ...]
    kind: str  # mention, unmention or auxiliary
    requires: tuple[tuple[str, ...], ...] = ()
    source: str = ""
    strict: bool = False  # `needs:` rather than `requires:`: without a qualifier it is no mention at all


@dataclass(frozen=True)
class Match:
    observation: str
    kind: str
    first: int  # word indices, inclusive
    last: int
    phrase: Phrase
    qualified: bool = True  # False: a `requires:` phrase without its qualifier; only a negation keeps it


@dataclass
class Lexicon:
    observations: list[str]  # output columns, CheXpert order first
    auxiliary: list[str]
    table: dict[tuple[str, ...], list[Phrase]] = field(default_factory=dict)
    longest: int = 1
    starts: set[str] = field(default_factory=set)  # first words of phrases: most words start none

    def add(self, phrase: Phrase) -> None:
        for variant in _variants(phrase.words):
            self.table.setdefault(variant, []).append(phrase)
            self.longest = max(self.longest, len(variant))
            self.starts.add(variant[0])

    def find(self, norm: Normalized) -> list[Match]:
        """All mentions in a sentence after longest-match and unmention suppression."""
        words = norm.words
        raw: list[Match] = []
        for i in range(len(words)):
            if words[i] not in self.starts:
                continue
            for n in range(min(self.longest, len(words) - i), 0, -1):
                for phrase in self.table.get(words[i:i + n], ()):
                    raw.append(Match(phrase.observation, phrase.kind, i, i + n - 1, phrase))
        unmentions = [m for m in raw if m.kind == "unmention"]
        kept = []
        for m in raw:
            if m.kind == "unmention":
                continue
            if any(u.observation == m.observation and u.first <= m.last and m.first <= u.last for u in unmentions):
                continue
            if any(o is not m and o.kind == m.kind and o.observation == m.observation and o.first <= m.first
                   and m.last <= o.last and (o.last - o.first) > (m.last - m.first) for o in raw):
                continue
            if m.phrase.requires and not _qualified(words, m):
                if m.phrase.strict:
                    continue
                m = Match(m.observation, m.kind, m.first, m.last, m.phrase, qualified=False)
            kept.append(m)
        return kept


def _variants(words: tuple[str, ...]) -> set[tuple[str, ...]]:
    """Let the last word also match its plural, so lexicons list singulars only."""
    last = words[-1]
    forms = {last, last + "s", last + "es"}
    if last.endswith("y") and len(last) > 2:
        forms.add(last[:-1] + "ies")
    if last.endswith("is"):
        forms.add(last[:-2] + "es")  # atelectasis/atelectases
    return {words[:-1] + (f,) for f in forms}


def _qualified(words: tuple[str, ...], m: Match) -> bool:
    lo, hi = max(0, m.first - QUALIFIER_WINDOW), min(len(words), m.last + 1 + QUALIFIER_WINDOW)
    context = words[lo:m.first] + ("|",) + words[m.last + 1:hi]
    for q in m.phrase.requires:
        for k in range(len(context) - len(q) + 1):
            if context[k:k + len(q)] == q:
                return True
    return False


def _words(text: str) -> tuple[str, ...]:
    return normalize(text).words


def read_phrases(path: Path, observation: str, kind: str) -> list[Phrase]:
    """One phrase per line; `#` starts a comment. `phrase | requires: a, b` is positive only with a qualifier
    nearby, and without one is kept only when negated; `phrase | needs: a, b` is a mention only with one."""
    phrases = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise UserError(f"{path}: lexicon files must be UTF-8 text") from None
    for number, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        text, _, extra = line.partition("|")
        requires: tuple[tuple[str, ...], ...] = ()
        key = ""
        if extra.strip():
            key, _, values = extra.partition(":")
            key = key.strip()
            if key not in ("requires", "needs") or not values.strip():
                raise UserError(f"{path}:{number}: after '|' write 'requires: word, other phrase' "
                                "or 'needs: word, other phrase'")
            requires = tuple(w for w in (_words(v) for v in values.split(",")) if w)
        words = _words(text)
        if words:
            phrases.append(Phrase(observation, words, kind, requires, f"{path.name}:{number}", key == "needs"))
    return phrases


def load(directories: list[Path]) -> Lexicon:
    """Layer lexicon folders: a file in a later folder replaces the same file from an earlier one."""
    files: dict[tuple[str, str], Path] = {}
    for directory in directories:
        if not directory.is_dir():
            raise UserError(f"{directory}: lexicon folder not found")
        for kind in ("mention", "unmention", "auxiliary"):
            for path in sorted((directory / kind).glob("*.txt")):
                files[(kind, path.stem)] = path
    mentioned = {name for kind, name in files if kind == "mention"}
    if not mentioned:
        raise UserError(f"no mention lexicons found in {', '.join(map(str, directories))} (expected mention/<Observation>.txt)")
    observations = [o for o in CHEXPERT if o in mentioned or o == "No Finding"]
    observations += sorted(mentioned - set(CHEXPERT))
    auxiliary = sorted(name for kind, name in files if kind == "auxiliary")
    lexicon = Lexicon(observations, auxiliary)
    for (kind, name), path in files.items():
        for phrase in read_phrases(path, name, kind):
            lexicon.add(phrase)
    return lexicon
