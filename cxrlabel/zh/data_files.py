"""Reading the Chinese rule and lexicon files, shipped or from folders the user names.

All word lists are data, not code, so hospitals can adapt them without touching Python.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError
from ..resources import data_dir
from .normalize import POSITION_KINDS, to_halfwidth

NEGATION_FILE = "negation.txt"
UNCERTAINTY_FILE = "uncertainty.txt"
NORMAL_FILE = "normal.txt"
NOT_CUES_FILE = "not_cues.txt"
CONJUNCTIONS_FILE = "conjunctions.txt"
FINDING_ENDS_FILE = "finding_ends.txt"
LIST_OPENERS_FILE = "list_openers.txt"
DISJUNCTIONS_FILE = "disjunctions.txt"
LIST_CLOSERS_FILE = "list_closers.txt"
DISCOURSE_FILE = "discourse.txt"
DEGREE_FILE = "degree.txt"
BOILERPLATE_FILE = "boilerplate.txt"
LATERALITY_FILE = "laterality.txt"
KNOWN_FINDINGS_FILE = "known_findings.tsv"
USERDICT_FILE = "radiology_userdict.txt"
CHEXPERT_NAMES_FILE = "chexpert_names.tsv"
SECTIONS_FILE = "sections.tsv"
POSITIONS_FILE = "positions.tsv"
COMPOUNDS_FILE = "compounds.tsv"
FINDING_GROUPS_FILE = "finding_groups.tsv"


@dataclass(frozen=True)
class ZhData:
    """Every word list the miner uses, already half-width folded."""

    negation: tuple[str, ...]
    uncertainty: tuple[str, ...]
    normal: tuple[str, ...]
    not_cues: tuple[str, ...]
    conjunctions: tuple[str, ...]
    finding_ends: tuple[str, ...]
    list_openers: tuple[str, ...]
    disjunctions: tuple[str, ...]
    list_closers: tuple[str, ...]
    discourse: tuple[str, ...]
    degree: tuple[str, ...]  # 少许, 稍: removed like discourse, as sizes are
    boilerplate: tuple[str, ...]
    laterality: tuple[str, ...]
    known_findings: tuple[tuple[str, str], ...]
    chexpert_names: tuple[tuple[str, str], ...]
    sections: tuple[tuple[str, str], ...]
    positions: tuple[tuple[str, str], ...]  # (kind, word): how a device position is written
    compounds: dict[str, tuple[str, ...]]  # a word that names several findings -> those findings (液气胸)
    finding_groups: dict[str, str]  # a finding -> the broader finding its distances are measured as
    userdict: Path


def rules_folder(override: str | Path | None = None) -> Path:
    return Path(override) if override else data_dir("rules") / "zh"


def lexicons_folder(override: str | Path | None = None) -> Path:
    return Path(override) if override else data_dir("lexicons") / "zh"


def read_entries(path: Path, option: str) -> list[str]:
    """Non-empty lines with "#" comments removed; a missing file is the user's to fix."""
    if not path.is_file():
        raise UserError(f"{path}: missing word list; restore it or point {option} at a folder that has it")
    entries = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if line:
            entries.append(to_halfwidth(line))
    return entries


def read_pairs(path: Path, option: str) -> tuple[tuple[str, str], ...]:
    """'key<TAB>value' lines."""
    pairs = []
    for number, line in enumerate(read_entries(path, option), 1):
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) != 2 or not all(parts):
            raise UserError(f"{path}: entry {number} ({line!r}) must be two fields separated by a tab; fix or remove it")
        pairs.append((parts[0], parts[1]))
    return tuple(pairs)


def load_zh_data(rules_dir: str | Path | None = None, lexicon_dir: str | Path | None = None) -> ZhData:
    """Load cue lists from the rules folder and lexicons from the lexicon folder."""
    rules = rules_folder(rules_dir)
    lexicons = lexicons_folder(lexicon_dir)
    userdict = lexicons / USERDICT_FILE
    if not userdict.is_file():
        raise UserError(f"{userdict}: missing jieba user dictionary; restore it or point $lexicon_dir at a folder that has it")
    positions = read_pairs(lexicons / POSITIONS_FILE, "--lexicon-dir")
    for number, (kind, _) in enumerate(positions, 1):
        if kind not in POSITION_KINDS:
            raise UserError(f"{lexicons / POSITIONS_FILE}: entry {number} has kind {kind!r}; use one of "
                            f"{', '.join(POSITION_KINDS)}")
    compounds: dict[str, tuple[str, ...]] = {}
    for number, (word, findings) in enumerate(read_pairs(lexicons / COMPOUNDS_FILE, "--lexicon-dir"), 1):
        named = tuple(f.strip() for f in findings.split("|"))
        if len(named) < 2 or not all(named):
            raise UserError(f"{lexicons / COMPOUNDS_FILE}: entry {number} ({word!r}) must name two or more findings "
                            "separated by |, as 液气胸<TAB>胸腔积液|气胸")
        compounds[word] = named
    groups = dict(read_pairs(lexicons / FINDING_GROUPS_FILE, "--lexicon-dir"))
    for number, (finding, broader) in enumerate(groups.items(), 1):
        if broader in groups:
            raise UserError(f"{lexicons / FINDING_GROUPS_FILE}: entry {number} groups {finding!r} under {broader!r}, "
                            f"which is itself grouped under {groups[broader]!r}; name the broadest finding")
    return ZhData(
        negation=tuple(read_entries(rules / NEGATION_FILE, "--rules-dir")),
        uncertainty=tuple(read_entries(rules / UNCERTAINTY_FILE, "--rules-dir")),
        normal=tuple(read_entries(rules / NORMAL_FILE, "--rules-dir")),
        not_cues=tuple(read_entries(rules / NOT_CUES_FILE, "--rules-dir")),
        conjunctions=tuple(read_entries(rules / CONJUNCTIONS_FILE, "--rules-dir")),
        finding_ends=tuple(read_entries(rules / FINDING_ENDS_FILE, "--rules-dir")),
        list_openers=tuple(read_entries(rules / LIST_OPENERS_FILE, "--rules-dir")),
        disjunctions=tuple(read_entries(rules / DISJUNCTIONS_FILE, "--rules-dir")),
        list_closers=tuple(read_entries(rules / LIST_CLOSERS_FILE, "--rules-dir")),
        discourse=tuple(read_entries(lexicons / DISCOURSE_FILE, "--lexicon-dir")),
        degree=tuple(read_entries(lexicons / DEGREE_FILE, "--lexicon-dir")),
        boilerplate=tuple(read_entries(lexicons / BOILERPLATE_FILE, "--lexicon-dir")),
        laterality=tuple(read_entries(lexicons / LATERALITY_FILE, "--lexicon-dir")),
        known_findings=read_pairs(lexicons / KNOWN_FINDINGS_FILE, "--lexicon-dir"),
        chexpert_names=read_pairs(lexicons / CHEXPERT_NAMES_FILE, "--lexicon-dir"),
        sections=read_pairs(lexicons / SECTIONS_FILE, "--lexicon-dir"),
        positions=positions,
        compounds=compounds,
        finding_groups=groups,
        userdict=userdict,
    )
