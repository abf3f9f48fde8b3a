"""Text normalisation for clause clustering: width folding, whitespace, numbers, laterality.

Digits, sizes and dates are removed (as in the published method) because "结节约5mm" and
"结节约8mm" describe the same finding and must not be pulled apart by edit distance.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

# Full-width ASCII variants (U+FF01..U+FF5E) sit 0xFEE0 above their half-width forms.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_HALFWIDTH[0x3000] = 0x20  # ideographic space

_SPACES = re.compile(r"\s+")
# A space is only meaningful between two ASCII letters or digits ("Kerley B"); elsewhere
# in Chinese text it is layout noise.
_NOISE_SPACE = re.compile(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])")

_NUMBER = r"\d+(?:\.\d+)?"
_DATE = re.compile(
    r"\d{2,4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"|\d{4}\s*年\s*\d{1,2}\s*月|\d{1,2}\s*月\s*\d{1,2}\s*日"
)
_UNIT = r"(?:mm|cm|ml|毫米|厘米|公分|%|度|个)?"
_MEASURE = re.compile(rf"{_NUMBER}\s*{_UNIT}(?:\s*[x×*]\s*{_NUMBER}\s*{_UNIT})*", re.IGNORECASE)
_NUMBER_LIST = re.compile(r"第?\d+(?:\s*[、,~\-至/]\s*第?\d+)+|第\d+")
_EMPTY_BRACKETS = re.compile(r"[(（]\s*[-/.,、]*\s*[)）]|\[\s*\]|【\s*】")
_EDGE_PUNCT = re.compile(r"^[\s.,;:、()\-~/*+]+|[\s.,;:、()\-~/*+]+$")


def to_halfwidth(text: str) -> str:
    """Fold full-width letters, digits and punctuation (，；１．？) to their ASCII forms."""
    return text.translate(_HALFWIDTH)


def tidy_whitespace(text: str) -> str:
    """Collapse runs of whitespace and drop spaces next to Chinese characters."""
    return _NOISE_SPACE.sub("", _SPACES.sub(" ", text).strip())


def strip_numbers(text: str) -> str:
    """Remove dates, measurements, number lists (第5、6肋) and any remaining digit."""
    text = _DATE.sub("", text)
    text = _NUMBER_LIST.sub("", text)
    text = _MEASURE.sub("", text)
    text = re.sub(r"\d+", "", text)
    text = _EMPTY_BRACKETS.sub("", text)
    return _EDGE_PUNCT.sub("", tidy_whitespace(text))


POSITION_KINDS = ("tip", "verb", "level", "side", "end")


def _alternation(words: Iterable[str]) -> str:
    return "|".join(map(re.escape, sorted({w for w in words if w}, key=len, reverse=True)))


def position_pattern(entries: Iterable[tuple[str, str]]) -> re.Pattern[str] | None:
    """One regex for a device position: [tip] verb [level] [side] number [ends], from (kind, word) pairs
    (lexicons/zh/positions.tsv). A number must follow the level, so a place without one stays."""
    words: dict[str, list[str]] = {kind: [] for kind in POSITION_KINDS}
    for kind, word in entries:
        words.setdefault(kind, []).append(word)
    if not words["verb"]:
        return None
    tip, level, side, end = (_alternation(words[k]) for k in ("tip", "level", "side", "end"))
    return re.compile(
        (rf"(?:的?(?:{tip}))?" if tip else "") + rf"(?:{_alternation(words['verb'])})约?"
        + (rf"(?:{level})?" if level else "") + (rf"(?:{side})?" if side else "")
        + rf"约?{_NUMBER}(?:\s*[/~\-、至]\s*(?:{level or 'T'})?{_NUMBER})*" + (rf"(?:{end})*" if end else ""),
        re.IGNORECASE)


def strip_positions(text: str, pattern: re.Pattern[str] | None) -> str:
    """Drop where a device ends (管端位于胸5椎体水平) and keep the device: a position is no finding."""
    return text if pattern is None else pattern.sub("", text)


def compound_pattern(compounds: dict[str, tuple[str, ...]]) -> re.Pattern[str] | None:
    """One regex for the words that name several findings (lexicons/zh/compounds.tsv), longest first."""
    return re.compile(_alternation(compounds)) if compounds else None


def split_compounds(text: str, compounds: dict[str, tuple[str, ...]], pattern: re.Pattern[str] | None) -> list[str]:
    """One text per finding a compound word names, the word replaced by that finding (右侧液气胸 -> 右侧胸腔积液,
    右侧气胸); every combination where a text holds several compound words; the text alone where it holds none."""
    found = pattern.search(text) if pattern else None
    if found is None:
        return [text]
    head, tail = text[:found.start()], split_compounds(text[found.end():], compounds, pattern)
    return [head + finding + rest for finding in compounds[found.group()] for rest in tail]


def laterality_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for all laterality/location words, longest first so 双侧 beats 双. A side followed by 位 is a
    finding, not a place (右位心, 右位主动脉弓: the organ on the wrong side), so it stays; before 弯 the 侧 is
    the finding's (胸椎左侧弯 is 胸椎侧弯, scoliosis), so only the side goes."""
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile(f"(?:{'|'.join(map(re.escape, ordered))})(?![位弯])") if ordered else None


def strip_laterality(text: str, pattern: re.Pattern[str] | None) -> str:
    """Drop laterality/location words so 左侧胸腔积液 and 右侧胸腔积液 become one clause."""
    if pattern is None:
        return text
    return _EDGE_PUNCT.sub("", pattern.sub("", text))
