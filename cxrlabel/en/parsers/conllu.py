"""Read CoNLL-U, the format CoreNLP's UD converter (and most UD tools) write."""
from __future__ import annotations

from dataclasses import dataclass

from ...errors import UserError


@dataclass(frozen=True)
class ConllWord:
    form: str
    lemma: str  # "_" when the tool gave none
    upos: str
    xpos: str
    head: int  # index into the sentence, -1 for the root
    deprel: str


def read_conllu(text: str) -> list[list[ConllWord]]:
    """Sentences of words; multiword-token ranges (1-2) and empty nodes (1.1) are skipped."""
    sentences: list[list[ConllWord]] = []
    current: list[ConllWord] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.rstrip("\r")
        if not line.strip():
            if current:
                sentences.append(current)
                current = []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise UserError(f"CoNLL-U line {number}: expected 10 tab-separated columns, found {len(cols)}")
        if "-" in cols[0] or "." in cols[0]:
            continue
        try:
            head = int(cols[6]) - 1
        except ValueError:
            raise UserError(f"CoNLL-U line {number}: HEAD {cols[6]!r} is not a number") from None
        current.append(ConllWord(cols[1], cols[2], cols[3], cols[4], head, cols[7]))
    if current:
        sentences.append(current)
    return sentences
