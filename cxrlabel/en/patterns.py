"""A small Semgrex-like pattern language over `Graph`s; its syntax is documented in rules/README.md.

    {@} <conj ({} >det {lemma:no})

Every relation attaches to the node it follows (as in Semgrex); parentheses group a sub-pattern
whose first node is the one related. The first node of a rule is always the mention, `{@}`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .graph import Graph

_LEX = re.compile(r"""
    (?P<ws>\s+)
  | (?P<brace>\{[^{}]*\})
  | (?P<lpar>\()
  | (?P<rpar>\))
  | (?P<op>!?(?:>>|<<|<=|>|<|\$|\.<|\.>))(?P<label>/(?:[^/\\]|\\.)+/|[A-Za-z:_|]+)?(?P<count>\d+)?
""", re.VERBOSE)
ATTRIBUTES = ("word", "lemma", "pos", "tag", "dep", "obs")
DEFAULT_WINDOW = 5
_FIELD = {"word": "text", "lemma": "lemma", "pos": "pos", "tag": "tag", "dep": "dep"}


@dataclass(frozen=True)
class Scope:
    """Where a window cue's scope ends: at these words, or at these parts of speech unless the word passes."""

    words: frozenset[str] = frozenset()
    pos: frozenset[str] = frozenset()
    passes: frozenset[str] = frozenset()

    def stops(self, lemma: str, pos: str) -> bool:
        return lemma in self.words or (pos in self.pos and lemma not in self.passes)


class PatternError(ValueError):
    """A rule that cannot be read; the message says where."""


@dataclass
class Node:
    constraints: list[tuple[str, re.Pattern[str], bool]] = field(default_factory=list)  # (attr, regex, negated)
    mention: bool = False
    relations: list["Relation"] = field(default_factory=list)
    literals: list[frozenset[str]] = field(default_factory=list)  # word/lemma alternatives this node needs


@dataclass
class Relation:
    op: str  # > < >> << <= $ .< .>
    label: re.Pattern[str] | None
    target: Node
    negated: bool = False
    window: int = DEFAULT_WINDOW


def _value(raw: str) -> re.Pattern[str]:
    if len(raw) >= 2 and raw.startswith("/") and raw.endswith("/"):
        return re.compile(raw[1:-1], re.IGNORECASE)
    return re.compile(re.escape(raw), re.IGNORECASE)


def _node(body: str, where: str) -> Node:
    node = Node()
    for part in filter(None, (p.strip() for p in body.split(";"))):
        if part == "@":
            node.mention = True
            continue
        key, sep, value = part.partition(":")
        key, negated = key.strip(), False
        if value.startswith("!"):
            negated, value = True, value[1:]
        if not sep or key not in ATTRIBUTES or not value.strip():
            raise PatternError(f"{where}: cannot read node attribute {part!r}; use one of "
                               f"{', '.join(ATTRIBUTES)} as key:value or key:/regex/, or @ for the mention")
        node.constraints.append((key, _value(value.strip()), negated))
        words = _literal_words(value.strip())
        if key in ("word", "lemma") and not negated and words:
            node.literals.append(words)
    return node


_PLAIN = re.compile(r"[\w' /?.]+")
_ESCAPED = {"\\/": "/", "\\?": "?", "\\.": "."}  # escaped characters that stand for themselves ("vs\.")


def _literal_words(raw: str) -> frozenset[str] | None:
    """The words a value can match, when it is a word or a /a|b|c/ alternation of plain words
    (an escaped slash, question mark or full stop, as in /w\\/o/, /\\?/ or /vs\\./, is a plain character)."""
    body = raw[1:-1] if len(raw) >= 2 and raw.startswith("/") and raw.endswith("/") else raw
    parts = body.split("|")
    if raw.startswith("/"):
        if any(c in x.replace("\\" + c, "") for x in parts for c in "?."):
            return None  # an unescaped ? is a quantifier, an unescaped . any character
        for escaped, plain in _ESCAPED.items():
            parts = [x.replace(escaped, plain) for x in parts]
        if not all(_PLAIN.fullmatch(x) for x in parts):
            return None
    return frozenset(x.lower() for x in parts)


def required_words(node: Node) -> list[frozenset[str]]:
    """Word sets a sentence must meet for the pattern to match: one per literal constraint on a node
    reached through positive relations. A rule whose set misses the sentence's words can be skipped."""
    out = list(node.literals)
    for rel in node.relations:
        if not rel.negated:
            out.extend(required_words(rel.target))
    return out


def observation_tests(node: Node) -> list[tuple[re.Pattern[str], bool]]:
    """The `obs:` constraints on the nodes reached through positive relations, as (regex, negated): each
    node tests the one observation of the mention, so a mention whose observation fails one of them
    cannot be matched (as `required_words`, for the observation)."""
    out = [(regex, negated) for key, regex, negated in node.constraints if key == "obs"]
    for rel in node.relations:
        if not rel.negated:
            out.extend(observation_tests(rel.target))
    return out


def parse(text: str, where: str = "pattern") -> Node:
    """Parse a pattern string into a tree of nodes and relations."""
    tokens, pos = [], 0
    while pos < len(text):
        m = _LEX.match(text, pos)
        if not m:
            raise PatternError(f"{where}: unexpected text at column {pos + 1}: {text[pos:pos + 15]!r}")
        pos = m.end()
        if not m.group("ws"):
            tokens.append(m)
    stack_pos = [0]

    def parse_atom() -> Node:
        """A node {...} or a parenthesised group; relations after it belong to the caller."""
        if stack_pos[0] >= len(tokens):
            raise PatternError(f"{where}: pattern ends where a node was expected")
        tok = tokens[stack_pos[0]]
        stack_pos[0] += 1
        if tok.group("brace"):
            return _node(tok.group("brace")[1:-1], where)
        if tok.group("lpar"):
            head = parse_group()
            if stack_pos[0] >= len(tokens) or not tokens[stack_pos[0]].group("rpar"):
                raise PatternError(f"{where}: a '(' is not closed")
            stack_pos[0] += 1
            return head
        raise PatternError(f"{where}: expected a node {{...}} or '(' but found {tok.group()!r}")

    def parse_group() -> Node:
        """A node and the relations that follow it; as in Semgrex, `A >x B >y C` relates both B and C
        to A, and `A >x (B >y C)` relates C to B."""
        head = parse_atom()
        while stack_pos[0] < len(tokens) and tokens[stack_pos[0]].group("op"):
            rel_tok = tokens[stack_pos[0]]
            stack_pos[0] += 1
            op = rel_tok.group("op")
            negated = op.startswith("!")
            op = op.lstrip("!")
            label = rel_tok.group("label")
            label_re = None
            if label:
                raw = label[1:-1] if label.startswith("/") else label
                label_re = re.compile(f"(?:{raw})", re.IGNORECASE)
            window = int(rel_tok.group("count")) if rel_tok.group("count") else DEFAULT_WINDOW
            head.relations.append(Relation(op, label_re, parse_atom(), negated, window))
        return head

    root = parse_group()
    if stack_pos[0] != len(tokens):
        raise PatternError(f"{where}: unexpected {tokens[stack_pos[0]].group()!r} after the pattern")
    if not root.mention:
        raise PatternError(f"{where}: a rule must start with the mention node {{@}}")
    return root


class Matcher:
    """Evaluates patterns on one graph, for one mention, with scope terminators for windows."""

    def __init__(self, graph: Graph, mention: set[int], scope: "Scope | None" = None, observation: str = "") -> None:
        self.g = graph
        self.mention = mention
        self.scope = scope or Scope()
        self.observation = observation

    def _attr(self, i: int, key: str) -> str:
        if key == "obs":
            return self.observation
        return getattr(self.g.tokens[i], _FIELD[key])

    def node_ok(self, node: Node, i: int) -> bool:
        if node.mention and i not in self.mention:
            return False
        for key, regex, negated in node.constraints:
            if bool(regex.fullmatch(self._attr(i, key))) == negated:
                return False
        return True

    def match(self, node: Node, i: int) -> bool:
        if not self.node_ok(node, i):
            return False
        for rel in node.relations:
            found = any(self.match(rel.target, j) for j in self._candidates(rel, i))
            if found == rel.negated:
                return False
        return True

    def _dep_ok(self, rel: Relation, j: int) -> bool:
        return rel.label is None or bool(rel.label.fullmatch(self.g.tokens[j].dep))

    def _candidates(self, rel: Relation, i: int) -> list[int]:
        g = self.g
        if rel.op == ">":
            return [j for j in g.children(i) if self._dep_ok(rel, j)]
        if rel.op == "<":
            h = g.head(i)
            return [h] if h >= 0 and self._dep_ok(rel, i) else []
        if rel.op == ">>":
            out, frontier = [], [j for j in g.children(i) if self._dep_ok(rel, j)]
            while frontier:
                j = frontier.pop()
                out.append(j)
                frontier.extend(k for k in g.children(j) if self._dep_ok(rel, k))
            return out
        if rel.op == "<<":
            out, j = [], i
            while g.head(j) >= 0 and self._dep_ok(rel, j) and len(out) < len(g.tokens):
                j = g.head(j)
                out.append(j)
            return out
        if rel.op == "<=":
            # the node itself, then ancestors along matching edges, stopping at a "but"-type coordinator
            out, j = [i], i
            while g.head(j) >= 0 and self._dep_ok(rel, j) and len(out) <= len(g.tokens):
                if any(g.tokens[c].dep == "cc" and g.tokens[c].lemma in self.scope.words for c in g.children(j)):
                    break
                j = g.head(j)
                out.append(j)
            return out
        if rel.op == "$":
            h = g.head(i)
            return [j for j in g.children(h) if j != i and self._dep_ok(rel, j)] if h >= 0 else []
        step = -1 if rel.op == ".<" else 1
        out, j = [], i + step
        while 0 <= j < len(g.tokens) and len(out) < rel.window:
            if j in self.mention:
                j += step
                continue
            out.append(j)  # a terminator ends the scope after itself: it may be the cue ("without", "represent")
            if self.scope.stops(g.tokens[j].lemma, g.tokens[j].pos):
                break
            j += step
        return out
