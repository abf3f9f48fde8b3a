"""Text normalisation for lexicon matching, with a map back to the original characters."""
from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Rewrites applied to lower-cased text before tokenising; each keeps offsets via the char map.
# Each rewrite matches a slash: text without one skips them (`normalize`).
_REWRITES = (
    (re.compile(r"\band\s*/\s*or\b"), "or"),
    (re.compile(r"(?<=[a-z])\s*/\s*(?=[a-z])"), " or "),
)


@dataclass(frozen=True)
class Normalized:
    """The words matched against lexicons, each with its character span in the original text."""

    words: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]  # original character span of each word

    def original_span(self, first_word: int, last_word: int) -> tuple[int, int]:
        return self.spans[first_word][0], self.spans[last_word][1]


def normalize(text: str, base: int = 0) -> Normalized:
    """Normalise `text`; offsets are reported relative to `base` (the text's position in the report)."""
    chars = text.lower()
    if "/" not in chars and len(chars) == len(text):  # no rewrite applies: each character is where it was
        matches = list(_WORD.finditer(chars))
        return Normalized(tuple(m.group() for m in matches), tuple((base + m.start(), base + m.end()) for m in matches))
    offsets = list(range(base, base + len(text)))
    for pattern, replacement in _REWRITES:
        out, out_offsets, last = [], [], 0
        for m in pattern.finditer(chars):
            out.append(chars[last:m.start()])
            out_offsets.extend(offsets[last:m.start()])
            out.append(replacement)
            anchor = offsets[m.start()] if m.start() < len(offsets) else base + len(text)
            out_offsets.extend([anchor] * len(replacement))
            last = m.end()
        out.append(chars[last:])
        out_offsets.extend(offsets[last:])
        chars, offsets = "".join(out), out_offsets
    words, spans = [], []
    for m in _WORD.finditer(chars):
        words.append(m.group())
        spans.append((offsets[m.start()], offsets[m.end() - 1] + 1))
    return Normalized(tuple(words), tuple(spans))
