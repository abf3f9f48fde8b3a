"""Penn Treebank constituency trees -> Universal Dependencies v2 (basic) graphs, with no Java needed.

Used by the BLLIP backend and `--parser ptb`. The output follows the same conventions as the spaCy
backend's conversion, because the negation and uncertainty rules are written once against them
(rules/README.md): content words head (the predicate over its copula, the object over its
preposition), a coordination is headed by its first conjunct with `cc` on the conjunct it introduces,
and existential "there is" keeps "is" as the head with the noun as its `nsubj`.

Two passes over the tree: choose the head child of every phrase (ptb_head_rules.tsv, then the special
cases below), then name the relation from every other child's head word to the phrase's head word.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable

from ...errors import UserError
from ..graph import Graph, Token
from .ptb_tree import WRAPPERS, Tree, align, detokenize

Lemmatizer = Callable[[list[str], list[str]], list[str]]
Search = tuple[str, frozenset[str]]  # ("left" or "right", labels; "*" is any non-punctuation child)

HEAD_RULES = "ptb_head_rules.tsv"

PUNCT_TAGS = {",", ".", ":", "``", "''", "-LRB-", "-RRB-", "-LCB-", "-RCB-", "-LSB-", "-RSB-", "HYPH", "NFP"}
VERB_TAGS = {"VB", "VBD", "VBG", "VBN", "VBP", "VBZ"}
NOUN_TAGS = {"NN", "NNS", "NNP", "NNPS", "FW"}
ADJ_TAGS = {"JJ", "JJR", "JJS", "VBN", "VBG", "VBD", "AFX"}
ADV_TAGS = {"RB", "RBR", "RBS", "WRB"}
NOMINAL_PHRASES = {"NP", "NML", "NX", "NAC", "WHNP", "QP"}
NOUNISH = NOUN_TAGS | {"NP", "NML", "NX", "NAC", "WHNP", "PRP", "WP", "EX"}
CLAUSES = {"S", "SQ", "SINV", "SBARQ"}
PREDICATES = {"ADJP", "NP", "NML", "UCP", "QP", "JJ", "JJR", "JJS", "NN", "NNS", "NNP", "NNPS", "CD"}
# Forms of the verbs that can be auxiliaries; "get" only in a passive ("got removed").
BE = {"be", "is", "are", "was", "were", "been", "being", "am", "'s", "'re", "'m", "ai"}
HAVE = {"have", "has", "had", "having", "'ve", "'d"}
DO = {"do", "does", "did"}
GET = {"get", "gets", "got", "gotten", "getting"}
PRECONJUNCTIONS = {"neither", "either", "both"}

UPOS = {
    "NN": "NOUN", "NNS": "NOUN", "NNP": "PROPN", "NNPS": "PROPN", "JJ": "ADJ", "JJR": "ADJ", "JJS": "ADJ",
    "AFX": "ADJ", "RB": "ADV", "RBR": "ADV", "RBS": "ADV", "WRB": "ADV", "DT": "DET", "PDT": "DET",
    "WDT": "PRON", "PRP": "PRON", "PRP$": "PRON", "WP": "PRON", "WP$": "PRON", "EX": "PRON", "CC": "CCONJ",
    "CD": "NUM", "IN": "ADP", "RP": "ADP", "TO": "PART", "POS": "PART", "MD": "AUX", "UH": "INTJ", "FW": "X",
    "LS": "X", "SYM": "SYM", "$": "SYM", "#": "SYM", "ADD": "X", "GW": "X", "XX": "X",
    **{tag: "VERB" for tag in VERB_TAGS}, **{tag: "PUNCT" for tag in PUNCT_TAGS},
}


@lru_cache(maxsize=4)
def load_head_rules(path: str | None = None) -> dict[str, list[Search]]:
    """The head table: label -> searches in order. `path` overrides the shipped file (for tests)."""
    source = Path(path) if path else resources.files(__package__).joinpath(HEAD_RULES)
    name = path or HEAD_RULES
    rules: dict[str, list[Search]] = {}
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        label, *fields = line.rstrip("\n").split("\t")
        searches = []
        for text in fields:
            direction, _, labels = text.partition(":")
            if direction.strip() not in ("left", "right") or not labels.split():
                raise UserError(f"{name}:{number}: {text!r} is not 'left: LABELS' or 'right: LABELS'")
            searches.append((direction.strip(), frozenset(labels.split())))
        if not searches:
            raise UserError(f"{name}:{number}: {label!r} has no searches")
        rules[label.strip()] = searches
    if "X" not in rules:
        raise UserError(f"{name}: needs a line for X, the default")
    return rules


@dataclass
class _Node:
    label: str
    children: list[_Node]
    index: int = -1  # a word's position in the sentence; -1 for a phrase
    word: str = ""
    head_child: int = 0
    head: int = -1  # the phrase's head word
    existential: bool = False  # a verb phrase under "there": be keeps the head
    roles: dict[int, str] = field(default_factory=dict)  # relations fixed while choosing the head
    groups: list[list[int]] = field(default_factory=list)  # conjunct groups of a coordination
    group_heads: list[int] = field(default_factory=list)

    @property
    def is_word(self) -> bool:
        return self.index >= 0


def _is_punct(node: _Node) -> bool:
    return node.is_word and node.label in PUNCT_TAGS


def _core(node: _Node) -> list[int]:
    return [i for i, kid in enumerate(node.children) if not _is_punct(kid)]


def _possessive(node: _Node) -> bool:
    core = _core(node)
    return not node.is_word and bool(core) and node.children[core[-1]].label == "POS"


def _category(node: _Node) -> str:
    """The label that decides a dependent's relation: a coordination or parenthesis counts as its head."""
    if node.label in ("UCP", "PRN") and not node.is_word:
        return _category(node.children[node.head_child])
    return node.label


def _has_subject(clause: _Node) -> bool:
    kids = clause.children
    return clause.label in CLAUSES and any(_category(k) in NOUNISH for k in kids[:clause.head_child])


def _first_verb_tag(vp: _Node) -> str:
    for kid in vp.children:
        if kid.is_word and kid.label in VERB_TAGS:
            return kid.label
        if kid.label == "VP":
            return _first_verb_tag(kid)
    return ""


def _expletive(node: _Node) -> bool:
    words = [k for k in node.children if not _is_punct(k)] if not node.is_word else [node]
    return len(words) == 1 and (words[0].label == "EX" or (not words[0].is_word and _expletive(words[0])))


class _Converter:
    def __init__(self, tree: Tree) -> None:
        self.rules = load_head_rules()
        self.words: list[str] = []
        self.tags: list[str] = []
        self.root = self._build(tree)
        self.heads = [-1] * len(self.words)
        self.deps = ["dep"] * len(self.words)

    def _build(self, tree: Tree) -> _Node:
        if tree.is_word:
            self.words.append(tree.word or "")
            self.tags.append(tree.label)
            return _Node(tree.label, [], len(self.words) - 1, tree.word or "")
        label = "ROOT" if tree.label in WRAPPERS else tree.label
        return _Node(label, [self._build(child) for child in tree.children])

    # --- heads -----------------------------------------------------------------------------------

    def assign_heads(self, node: _Node, existential: bool = False) -> None:
        if node.is_word:
            node.head = node.index
            return
        kids = node.children
        node.existential = existential or (node.label in CLAUSES and any(
            k.label in NOUNISH and _expletive(k) for k in kids))
        coordination = self._conjunct_groups(node)
        if coordination:
            node.groups = coordination
            for group in coordination:
                at, roles = self._choose(node.label, [kids[i] for i in group], node.existential)
                node.group_heads.append(group[at])
                node.roles.update({group[k]: role for k, role in roles.items()})
            node.head_child = node.group_heads[0]
        else:
            node.head_child, node.roles = self._choose(node.label, kids, node.existential)
        for i, kid in enumerate(kids):
            passes_on = node.existential and (i in node.group_heads or i == node.head_child) and kid.label == "VP"
            self.assign_heads(kid, passes_on)
        node.head = kids[node.head_child].head

    def _search(self, label: str, kids: list[_Node]) -> int:
        for direction, labels in self.rules.get(label, self.rules["X"]):
            order = range(len(kids)) if direction == "left" else range(len(kids) - 1, -1, -1)
            for i in order:
                if not _is_punct(kids[i]) and ("*" in labels or kids[i].label in labels):
                    return i
        return 0  # only punctuation

    def _choose(self, label: str, kids: list[_Node], existential: bool) -> tuple[int, dict[int, str]]:
        """The head child among `kids`, and relations decided on the way (aux, cop, mark, case)."""
        core = [i for i, k in enumerate(kids) if not _is_punct(k)]
        if label in NOMINAL_PHRASES and len(core) > 1 and kids[core[-1]].label == "POS":
            at, roles = self._choose(label, kids[:core[-1]], existential)  # "the patient 's": patient heads
            return at, {**roles, core[-1]: "case"}
        at = self._search(label, kids)
        verb = kids[at]
        if label not in ("VP", "SQ", "SINV") or not verb.is_word or verb.label not in VERB_TAGS | {"MD", "TO"}:
            return at, {}
        form = verb.word.lower()
        later = range(at + 1, len(kids))
        complement = next((i for i in later if kids[i].label == "VP"), None)
        if complement is not None:
            passive = _first_verb_tag(kids[complement]) == "VBN"
            if verb.label in ("MD", "TO") or form in BE | HAVE | DO or (form in GET and passive):
                role = "mark" if verb.label == "TO" else "aux:pass" if passive and form in BE | GET else "aux"
                return complement, {at: role}
        if form in BE and not existential:
            # In a question ("is the heart enlarged") the first noun phrase after the verb is the subject.
            skip = next((i for i in later if kids[i].label in NOUNISH), None) if label != "VP" else None
            candidates = [i for i in later if i != skip]
            for wanted in (PREDICATES, {"PP"}, {"ADVP"}):
                predicate = next((i for i in candidates if kids[i].label in wanted), None)
                if predicate is not None:
                    return predicate, {at: "cop"}
        return at, {}

    def _conjunct_groups(self, node: _Node) -> list[list[int]]:
        """Child positions of each conjunct when the phrase is a coordination, else []."""
        kids, core = node.children, _core(node)
        if len(core) < 2:
            return []
        start = core[0] + 1 if kids[core[0]].label in ("CC", "CONJP") else core[0]
        coordinators = [i for i in core if i > start and kids[i].label in ("CC", "CONJP")]
        flat = all(kids[i].is_word for i in core)
        commas = [i for i in range(start, core[-1]) if kids[i].label in (",", ":")]
        if not coordinators and not (flat and commas and node.label in NOMINAL_PHRASES):
            return []
        groups, current = [], []
        for i in range(start, core[-1] + 1):
            if kids[i].label in ("CC", "CONJP", ",", ":"):
                if current:
                    groups.append(current)
                current = []
            else:
                current.append(i)
        groups.append(current)
        groups = [g for g in groups if any(not _is_punct(kids[i]) for i in g)]
        if len(groups) < 2:
            return []
        nouns = [any(kids[i].label in NOUNISH for i in g) for g in groups]
        if node.label in NOMINAL_PHRASES and not nouns[0] and any(nouns):
            return []  # "pleural and pericardial effusions": the modifiers are coordinated, not the phrase
        if not coordinators and not all(nouns):
            return []
        return groups

    # --- relations -------------------------------------------------------------------------------

    def attach_all(self, node: _Node) -> None:
        if node.is_word:
            return
        for kid in node.children:
            self.attach_all(kid)
        kids = node.children
        if not node.groups:
            for d in range(len(kids)):
                if d != node.head_child:
                    self._attach(kids[d].head, *self._dependency(node, node.head_child, d))
            return
        first = kids[node.head_child].head
        grouped = set()
        for group, head in zip(node.groups, node.group_heads):
            grouped.update(group)
            for d in group:
                if d != head:
                    self._attach(kids[d].head, *self._dependency(node, head, d))
        for head in node.group_heads[1:]:
            self._attach(kids[head].head, "conj", first)
        starts = [(group[0], head) for group, head in zip(node.groups, node.group_heads)]
        for d, kid in enumerate(kids):
            if d in grouped:
                continue
            following = next((kids[h].head for s, h in starts[1:] if s > d), None)
            if d < starts[0][0] and kid.label == "CC" and kid.word.lower() in PRECONJUNCTIONS:
                self._attach(kid.head, "det" if kid.word.lower() == "neither" else "cc:preconj", first)
            elif d > starts[0][0] and following is not None:
                self._attach(kid.head, "punct" if _is_punct(kid) else "cc", following)  # UD: on the next conjunct
            else:
                self._attach(kid.head, *self._dependency(node, node.head_child, d))

    def _attach(self, dependent: int, relation: str, governor: int) -> None:
        self.heads[dependent], self.deps[dependent] = governor, relation

    def _dependency(self, node: _Node, h: int, d: int) -> tuple[str, int]:
        """(relation, governor word) of child `d` under head child `h`."""
        kids = node.children
        kid, governor = kids[d], kids[h].head
        if d in node.roles:
            return node.roles[d], governor
        if _is_punct(kid):
            return "punct", governor
        if node.label in NOMINAL_PHRASES and kid.is_word:
            flat = self._flat_nominal(node, h, d)
            if flat:
                return flat
        return self._relation(node, h, d), governor

    def _flat_nominal(self, node: _Node, h: int, d: int) -> tuple[str, int] | None:
        """Words inside a flat noun phrase that attach to a neighbour rather than the head."""
        kids = node.children
        kid = kids[d]
        before = kids[d - 1] if d > 0 else None
        after = kids[d + 1] if d + 1 < len(kids) else None
        if kid.label == "POS" and before is not None:
            return "case", before.head  # "John 's heart"
        if kid.label == "CD" and after is not None and d + 1 != h and after.is_word and after.label in NOUN_TAGS:
            return "nummod", after.head  # "2 cm nodule": 2 counts the centimetres
        if node.groups:
            return None
        if kid.label == "CC" and after is not None and d + 1 != h and d > 0:
            return "cc", after.head  # "pleural and pericardial effusions"
        if before is not None and before.label == "CC" and d > 1 and d - 2 != h:
            return "conj", kids[d - 2].head
        return None

    def _nominal(self, node: _Node) -> bool:
        """Whether dependents here modify a noun (nmod, amod, acl) rather than a predicate (obl, advcl)."""
        if node.label in NOMINAL_PHRASES:
            return True
        return node.label in ("PP", "WHPP") and _category(node.children[node.head_child]) in NOUNISH | {"CD", "QP"}

    def _relation(self, node: _Node, h: int, d: int) -> str:
        kids = node.children
        kid = kids[d]
        cat, parent = _category(kid), node.label
        if cat in ("CC", "CONJP"):
            return "cc"
        if parent == "CONJP":
            return "fixed"
        if cat in ("PRP$", "WP$"):
            return "nmod:poss"
        if cat == "POS":
            return "case"
        if self.tags[kid.head] == "EX":
            return "expl"
        if cat in ("UH", "INTJ"):
            return "discourse"
        if cat in ("PRT", "RP") and parent not in ("PP", "WHPP"):
            return "compound:prt"
        if cat == "MD":
            return "aux"
        clause_object = not kids[h].is_word and _category(kids[h]) in CLAUSES | {"SBAR", "VP"}
        if cat in ("PP", "WHPP"):
            inner = kid.children[kid.head_child]
            clausal = not inner.is_word and _category(inner) in CLAUSES | {"SBAR", "VP"}
            if self._nominal(node):
                return "acl" if clausal else "nmod"
            return "advcl" if clausal else "obl"
        if parent in ("PP", "WHPP"):
            if cat in ADV_TAGS | {"ADVP"}:
                return "advmod"
            if kid.is_word:
                return "mark" if clause_object else "case"
            if cat in NOUNISH:
                return "nmod:npmod"  # "[4 cm] above the carina"
        if parent == "SBAR":
            if cat in ("WHNP", "WHADJP"):
                return "obj" if _has_subject(kids[h]) else "nsubj"  # the relative pronoun's own role
            if cat == "WHADVP":
                return "advmod"
            if kid.is_word and cat in ("IN", "DT", "WDT", "TO"):
                return "mark"
        if self._nominal(node):
            return self._modifier_relation(node, h, d, cat)
        return self._clause_relation(node, h, d, cat)

    def _modifier_relation(self, node: _Node, h: int, d: int, cat: str) -> str:
        """A dependent inside a noun phrase."""
        kid = node.children[d]
        tag = self.tags[kid.head]
        if cat == "SBAR":
            core = _core(kid)
            first = kid.children[core[0]] if core else kid
            relative = first.label.startswith("WH") or first.label in CLAUSES  # "which ...", or no "that"
            return "acl:relcl" if relative else "acl"
        if cat == "RRC":
            return "acl:relcl"
        if cat in CLAUSES | {"VP"}:
            return "acl"  # "findings to suggest pneumonia", "opacity concerning for pneumonia"
        if _possessive(kid) or (d + 1 < len(node.children) and node.children[d + 1].label == "POS"):
            return "nmod:poss"
        if d < h:
            if tag in ("DT", "WDT"):
                return "det"
            if tag == "PDT":
                return "det:predet"
            if tag in ADJ_TAGS:
                return "amod"
            if tag == "CD":
                return "nummod"
            if tag in NOUN_TAGS or cat in NOUNISH:
                return "compound"
        if cat in NOUNISH:
            return "appos" if kid.label == "PRN" or self._set_off(node, h, d) else "dep"
        if tag in ADJ_TAGS or cat == "ADJP":
            return "amod"
        if tag == "CD" or cat == "QP":
            return "nummod" if node.label != "QP" else "compound"
        if tag in ADV_TAGS or cat == "ADVP":
            return "advmod"
        if tag in ("DT", "WDT", "PDT"):
            return "det"
        if node.label == "QP" and tag in ("IN", "TO", "JJ"):
            return "advmod"  # "about 2", "up to 3"
        return "dep"

    def _clause_relation(self, node: _Node, h: int, d: int, cat: str) -> str:
        """A dependent of a verb, adjective, adverb or clause."""
        kids, parent = node.children, node.label
        kid, head = kids[d], kids[h]
        tag = self.tags[kid.head]
        verbal = parent in ("VP", "SQ", "SINV")
        if cat in NOUNISH:
            if parent in ("ADJP", "ADVP", "WHADJP", "WHADVP", "PP", "QP"):
                return "nmod:npmod" if parent == "QP" else "obl:npmod"  # "2 cm long", "2 days ago"
            if parent in ("SQ", "SINV"):
                nominals = [i for i, k in enumerate(kids) if i != h and _category(k) in NOUNISH and not _expletive(k)]
                return "nsubj" if d == nominals[0] else "obj"
            if verbal:
                if d < h or not (head.is_word and head.label in VERB_TAGS):
                    return "obl:npmod"
                if node.existential:
                    return "nsubj"  # "there is [no effusion]"
                objects = [i for i in range(h + 1, len(kids)) if _category(kids[i]) in NOUNISH]
                return "iobj" if len(objects) > 1 and d == objects[0] else "obj"
            if d < h:
                subject = max(i for i in range(h) if _category(kids[i]) in NOUNISH)
                return "nsubj" if d == subject else "obl:npmod"
            return "parataxis" if self.tags[head.head] in NOUN_TAGS else "dep"
        if cat in ("ADJP", "JJ", "JJR", "JJS"):
            if verbal:
                return "xcomp"  # "lungs appear clear"
            return "amod" if parent in ("ADJP", "WHADJP") else "dep"
        if cat in ADV_TAGS | {"ADVP", "WHADVP"} or tag in ADV_TAGS:
            return "advmod"
        if cat in ("DT", "PDT", "WDT"):
            return "det" if self.tags[head.head] in NOUN_TAGS else "advmod"
        if cat in ("CD", "QP"):
            return "nummod" if self.tags[head.head] in NOUN_TAGS else "obl:npmod"
        if cat == "SBAR":
            return self._sbar_relation(node, d)
        if cat in CLAUSES:
            if parent in ("VP", "ADJP", "SQ", "SINV"):
                if _has_subject(kid):
                    return "ccomp"
                return "advcl" if self._set_off(node, h, d) else "xcomp"
            return "parataxis" if _has_subject(kid) else "advcl"
        if cat in ("TO", "IN"):
            return "mark"
        return "dep"

    def _sbar_relation(self, node: _Node, d: int) -> str:
        sbar = node.children[d]
        core = _core(sbar)
        first = sbar.children[core[0]] if core else sbar
        word = first.word.lower() if first.is_word else ""
        complement = (first.label == "WHNP" or first.label in CLAUSES or word in ("that", "whether")
                      or (first.label == "WHADVP" and self.words[first.head].lower() in ("how", "why")))
        if node.label in ("VP", "SQ", "SINV") and complement:
            return "ccomp"  # "suggests that ..."
        if node.label == "ADJP" and (complement or word == "if"):
            return "ccomp"  # "unclear whether ...", "unclear if ..."
        return "advcl"  # "if clinically indicated", "because ..."

    @staticmethod
    def _set_off(node: _Node, h: int, d: int) -> bool:
        """A comma, colon or bracket between the head and the dependent: an appositive or an aside."""
        low, high = sorted((h, d))
        return any(_is_punct(k) for k in node.children[low + 1:high])

    # --- finishing -------------------------------------------------------------------------------

    def finish(self) -> None:
        """Passive subjects, and "no" under "longer" in "no longer" whatever the bracketing."""
        n = len(self.words)
        passive = {self.heads[i] for i in range(n) if self.deps[i] == "aux:pass"}
        for i in range(n):
            if self.deps[i] in ("nsubj", "csubj") and self.heads[i] in passive:
                self.deps[i] += ":pass"
            if (i + 1 < n and self.words[i].lower() == "no" and self.words[i + 1].lower() == "longer"
                    and self.heads[i] == self.heads[i + 1]):
                self.heads[i], self.deps[i] = i + 1, "advmod"


def upos(word: str, tag: str, relation: str) -> str:
    """The universal part of speech of a PTB-tagged word, given its relation (auxiliaries, subordinators)."""
    if tag in VERB_TAGS:
        return "AUX" if relation in ("aux", "aux:pass", "cop") else "VERB"
    if tag == "IN":
        return "SCONJ" if relation == "mark" else "ADP"
    if tag == "TO":
        return "ADP" if relation == "case" else "PART"
    if tag == "RB" and word.lower() in ("not", "n't"):
        return "PART"
    return UPOS.get(tag, "X")


def convert(tree: Tree, text: str | None = None, lemmatize: Lemmatizer | None = None) -> Graph:
    """The UD graph of one sentence's tree.

    Offsets index `text` (the sentence the tree was parsed from) when given, else the sentence made from
    the tree's words. `lemmatize(words, ptb_tags)` gives lemmas; without it each lemma is the lower-cased
    word, a degraded mode in which rules that name a lemma ("exclude" for "excluded") miss inflected forms.
    """
    converter = _Converter(tree)
    words, tags = converter.words, converter.tags
    if not words:
        return Graph(text or "", [])
    converter.assign_heads(converter.root)
    converter.attach_all(converter.root)
    converter.heads[converter.root.head], converter.deps[converter.root.head] = -1, "root"
    converter.finish()
    if text is None:
        text, offsets = detokenize(words)
    else:
        offsets = align(words, text)
    lemmas = lemmatize(words, tags) if lemmatize else words
    tokens = [
        Token(i, text[s:e] or words[i], lemmas[i].lower(), upos(words[i], tags[i], converter.deps[i]), tags[i],
              converter.heads[i], converter.deps[i], s, e)
        for i, (s, e) in enumerate(offsets)
    ]
    return Graph(text, tokens, parsed=True)
