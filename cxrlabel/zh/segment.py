"""Word segmentation with jieba and the radiology user dictionary.

A private `jieba.Tokenizer` keeps our dictionary out of any global jieba state other code
uses; HMM new-word discovery is off so unknown strings split the same way every time.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import jieba

from ..errors import UserError

# jieba's own dictionary gives common words frequencies in the thousands; this outranks them
# so a listed term is kept whole.
USER_WORD_FREQ = 200_000
_WORDLIKE = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
_LATIN_END = re.compile(r"[0-9A-Za-z]$")
_LATIN_START = re.compile(r"[0-9A-Za-z]")


def read_userdict(path: Path) -> list[tuple[str, int]]:
    """(term, frequency) pairs from 'term [freq]' lines; "#" lines are comments."""
    words = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
            raise UserError(f"{path}: line {number} must be 'term' or 'term frequency'; fix it")
        words.append((parts[0], int(parts[1]) if len(parts) == 2 else USER_WORD_FREQ))
    return words


def join_tokens(tokens: Sequence[str]) -> str:
    """Tokens back to text: Chinese runs together, a space kept between two Latin words (Kerley B)."""
    out = ""
    for token in tokens:
        if out and _LATIN_END.search(out) and _LATIN_START.match(token):
            out += " "
        out += token
    return out


def _not_a_cache_dump(record: logging.LogRecord) -> bool:
    """jieba saves its prefix dictionary to the temporary folder as a speed-up, and logs a traceback when that
    folder is full or read-only; nothing is lost (it is built again next time), so that is not said."""
    return not record.getMessage().startswith("Dump cache file failed")


class Segmenter:
    """Splits normalised clauses into tokens, dropping punctuation-only pieces."""

    def __init__(self, userdict: Path) -> None:
        jieba.setLogLevel(logging.WARNING)  # jieba logs dictionary loading to stderr at DEBUG
        if _not_a_cache_dump not in jieba.default_logger.filters:
            jieba.default_logger.addFilter(_not_a_cache_dump)
        self._tokenizer = jieba.Tokenizer()
        for word, freq in read_userdict(userdict):
            self._tokenizer.add_word(word, freq)

    def all_tokens(self, text: str) -> list[str]:
        """Every token, punctuation included, so offsets can be recovered from them."""
        return self._tokenizer.lcut(text, HMM=False)

    def tokens(self, text: str) -> list[str]:
        return [t for t in self.all_tokens(text) if _WORDLIKE.search(t)]
