"""Bracketed Penn Treebank trees: reading them, and tying their words back to sentence text.

BLLIP and other constituency parsers print trees in PTB conventions (escaped brackets, `` '' quotes,
function tags, empty elements). The UD converter wants plain words in sentence order, and every token
needs character offsets into a sentence string so that mentions found in the text land on tokens.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...errors import UserError

# PTB spellings of characters that would clash with the bracket syntax, and of quotes.
ESCAPES = {"-LRB-": "(", "-RRB-": ")", "-LCB-": "{", "-RCB-": "}", "-LSB-": "[", "-RSB-": "]", "``": '"', "''": '"'}
_BRACKETS = {v: k for k, v in ESCAPES.items() if k.startswith("-")}
# Outer nodes that only wrap the sentence: "( (S ...) )", "(ROOT (S ...))", BLLIP's "(S1 (S ...))".
WRAPPERS = {"", "ROOT", "TOP", "S1"}
EMPTY_ELEMENT = "-NONE-"

_TOKEN = re.compile(r"\s*(?:(\()|(\))|([^\s()]+))")


@dataclass
class Tree:
    """A phrase (`label` and `children`), or a word: then `label` is its part-of-speech tag and `word` is set."""

    label: str
    children: list[Tree] = field(default_factory=list)
    word: str | None = None

    @property
    def is_word(self) -> bool:
        return self.word is not None

    def leaves(self) -> list[tuple[str, str]]:
        """(word, tag) for every word, in sentence order."""
        if self.word is not None:
            return [(self.word, self.label)]
        return [leaf for child in self.children for leaf in child.leaves()]

    def bracketed(self) -> str:
        """The tree on one line in PTB form, words escaped again, for tools that read treebank files."""
        if self.word is not None:
            return f"({self.label} {_escape(self.word, self.label)})"
        return f"({self.label} {' '.join(child.bracketed() for child in self.children)})"


def _escape(word: str, tag: str) -> str:
    if word == '"':
        return "''" if tag == "''" else "``"
    if word in _BRACKETS:
        return _BRACKETS[word]
    return "".join(_BRACKETS.get(ch, ch) for ch in word)


def _unescape(word: str) -> str:
    return ESCAPES.get(word) or word.replace("\\/", "/").replace("\\*", "*")


def clean_label(label: str) -> str:
    """`NP-SBJ-1` -> `NP`, `NP=2` -> `NP`; labels that start with a dash (-NONE-, -LRB-) stay whole."""
    if label.startswith("-"):
        return label
    return re.split(r"[-=]", label, maxsplit=1)[0]


@dataclass
class _Open:
    """A '(' read but not yet closed."""

    at: int
    label: str | None = None
    children: list[Tree] = field(default_factory=list)
    words: list[str] = field(default_factory=list)


def read_trees(text: str) -> list[Tree]:
    """Every tree in `text`, in order, with function tags, indices and empty elements removed.

    Raises UserError naming the character position of the first unbalanced bracket or stray text."""
    trees: list[Tree] = []
    stack: list[_Open] = []
    pos = 0
    while True:
        match = _TOKEN.match(text, pos)
        if not match:
            break
        start, pos = match.start(match.lastindex), match.end()
        opening, closing, atom = match.groups()
        if opening:
            if stack and stack[-1].label is None:
                stack[-1].label = ""  # "( (S ...) )": the outer bracket has no label
            stack.append(_Open(start))
        elif closing:
            if not stack:
                raise UserError(f"a ')' at character {start} closes no '('; the brackets are unbalanced")
            node = _close(stack.pop())
            if stack:
                stack[-1].children.append(node)
            else:
                trees.append(node)
        elif not stack:
            raise UserError(f"unexpected text {atom!r} at character {start}, outside any bracketed tree")
        elif stack[-1].label is None:
            stack[-1].label = atom
        else:
            stack[-1].words.append(atom)
    if stack:
        raise UserError(f"the '(' at character {stack[-1].at} is never closed ({len(stack)} bracket(s) left open "
                        "at the end); the brackets are unbalanced")
    cleaned = (_unwrap(_clean(tree)) for tree in trees)
    return [tree for tree in cleaned if tree is not None]


def _close(node: _Open) -> Tree:
    label = node.label or ""
    if node.words and node.children:
        raise UserError(f"the phrase '({label}' at character {node.at} mixes words and bracketed phrases")
    if len(node.words) > 1:
        raise UserError(f"'({label}' at character {node.at} holds {len(node.words)} words; "
                        "a tag holds one word: (TAG word)")
    if node.words:
        return Tree(label, word=node.words[0])
    if not node.children:
        raise UserError(f"empty brackets '({label})' at character {node.at}")
    return Tree(label, node.children)


def _clean(tree: Tree) -> Tree | None:
    """Plain labels and unescaped words; None for an empty element or a phrase left with nothing in it."""
    label = clean_label(tree.label)
    if tree.word is not None:
        return None if label == EMPTY_ELEMENT else Tree(label, word=_unescape(tree.word))
    children = [c for c in (_clean(child) for child in tree.children) if c is not None]
    return Tree(label, children) if children else None


def _unwrap(tree: Tree | None) -> Tree | None:
    while tree is not None and tree.word is None and tree.label in WRAPPERS and len(tree.children) == 1:
        tree = tree.children[0]
    return tree


# --- words and sentence text -------------------------------------------------------------------------

_NO_SPACE_BEFORE = {",", ".", ";", ":", ")", "]", "}", "%", "!", "?", "...", "'", "'s", "n't", "'re", "'ve", "'m",
                    "'ll", "'d"}
_NO_SPACE_AFTER = {"(", "[", "{", "$", "#"}


def detokenize(words: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Readable sentence text from tokens, and each token's (start, end) in it.

    Punctuation and clitics ("'s", "n't") join the word before; opening brackets and quotes join the
    word after. Double quotes alternate between opening and closing."""
    text, offsets = "", []
    glue_next, quote_open = True, False
    for word in words:
        glue = glue_next or word.lower() in _NO_SPACE_BEFORE
        glue_next = word in _NO_SPACE_AFTER
        if word == '"':
            glue = glue or quote_open  # a closing quote joins the word before
            glue_next = not quote_open  # an opening quote joins the word after
            quote_open = not quote_open
        if text and not glue:
            text += " "
        offsets.append((len(text), len(text) + len(word)))
        text += word
    return text, offsets


# Other ways the text may spell a token: PTB escapes both ways, straight and typographic quotes.
_SPELLINGS = {
    '"': ['"', "``", "''", "\u201c", "\u201d"], "``": ["``", '"', "\u201c"], "''": ["''", '"', "\u201d"],
    "`": ["`", "'", "\u2018"], "'": ["'", "\u2019"], "--": ["--", "\u2014", "\u2013"], "...": ["...", "\u2026"],
    **{b: [b, e] for e, b in _BRACKETS.items()}, **{e: [b, e] for e, b in _BRACKETS.items()},
}


def align(words: list[str], text: str) -> list[tuple[int, int]]:
    """Each token's (start, end) in `text`, the sentence it was parsed from, matched in order.

    Escaped and unescaped brackets and quotes match each other, and case is ignored. A token that cannot
    be found gets an empty span where it would be; only when no token at all can be found is it an error."""
    offsets, pos, found = [], 0, 0
    for word in words:
        spellings = _SPELLINGS.get(word, [word])
        pattern = re.compile("|".join(re.escape(s) for s in sorted(spellings, key=len, reverse=True)), re.IGNORECASE)
        here = len(text) - len(text[pos:].lstrip())
        match = pattern.search(text, here)
        if match and match.end() > match.start():
            offsets.append((match.start(), match.end()))
            pos = match.end()
            found += 1
        else:
            offsets.append((here, here))
    if words and not found:
        raise UserError(f"the tree's words ({' '.join(words[:6])}...) cannot be found in the sentence {text!r}")
    return offsets
