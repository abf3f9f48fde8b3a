"""Build a tiny stanza English model folder at test time, so the real `stanza.Pipeline` loading path runs.

No real stanza model can be downloaded on the build machines. Instead we run stanza's own training entry
points (tagger, lemmatizer, parser) for a couple of steps on a few sentences of our hand-written tree bank,
converted to UD by our own converter, with random word vectors. Accuracy is irrelevant: what matters is
that the files are what stanza itself writes, laid out as `stanza.download` lays them out, with a
resources.json holding only what stanza's loader reads.
"""
from __future__ import annotations

import contextlib
import json
import logging
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BANK_TREES = ROOT / "corpora" / "en" / "sentence_bank.mrg"

# The layout of stanza's real "mimic" package, minus the character language models (which need their own
# training run and add nothing to what is tested here), so `installed_packages` and PREFERRED find it.
PACKAGE = "mimic"
MODEL = "mimic_nocharlm"  # the pos, lemma and depparse model name
WORD_DIM = 8
SIZES = ["--hidden_dim", "8", "--char_hidden_dim", "8", "--deep_biaff_hidden_dim", "8", "--word_emb_dim", "8",
         "--char_emb_dim", "8", "--tag_emb_dim", "4", "--transformed_dim", "8", "--num_layers", "1"]


def bank_conllu(limit: int = 40) -> str:
    """The first `limit` bank trees as CoNLL-U, converted to UD by our own PTB -> UD converter."""
    from cxrlabel.en.parsers.ptb_to_ud import convert
    from cxrlabel.en.parsers.ptb_tree import read_trees

    lines = [line for line in BANK_TREES.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#") and line.strip() != "-"]
    blocks = []
    for line in lines[:limit]:
        graph = convert(read_trees(line)[0])
        blocks.append("\n".join(
            f"{t.i + 1}\t{t.text}\t{t.lemma}\t{t.pos}\t{t.tag}\t_\t{t.head + 1}\t{t.dep}\t_\t_" for t in graph.tokens))
    return "\n\n".join(blocks) + "\n\n"


def write_vectors(conllu: str, path: Path) -> None:
    """Random word vectors for the vocabulary, in the word2vec text format stanza reads."""
    rng = random.Random(0)
    words = sorted({row.split("\t")[1] for row in conllu.splitlines() if row and not row.startswith("#")})
    path.write_text(f"{len(words)} {WORD_DIM}\n" + "".join(
        f"{w} {' '.join(f'{rng.uniform(-1, 1):.4f}' for _ in range(WORD_DIM))}\n" for w in words), encoding="utf-8")


@contextlib.contextmanager
def _quiet_and_seeded() -> Iterator[None]:
    """stanza's trainers reseed every RNG and set its logger to DEBUG on import: keep it at WARNING while
    training and put both back afterwards.

    Training runs on one torch thread: with models this small, a second thread only waits on the first
    (on a busy 2-core machine a backward pass took seconds instead of milliseconds).
    """
    import numpy as np
    import torch

    logger = logging.getLogger("stanza")
    level, threads = logger.level, torch.get_num_threads()
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        logger.setLevel(level)
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


def build_tiny_stanza_model(folder: Path) -> str:
    """Write `<folder>/resources.json` and `<folder>/en/{pretrain,pos,lemma,depparse}/*.pt`; return the package.

    About 2 s after torch is imported: each trainer takes two steps (the tagger also scores its dev set
    once, see below) with 8-wide layers; the lemmatizer is stanza's dictionary-only kind.
    """
    english = folder / "en"
    pretrain = english / "pretrain" / f"{PACKAGE}.pt"
    with _quiet_and_seeded(), tempfile.TemporaryDirectory() as scratch:
        from stanza.models import lemmatizer, parser, tagger
        from stanza.models.common.pretrain import Pretrain

        logging.getLogger("stanza").setLevel(logging.WARNING)  # the imports above set it to DEBUG

        conllu = bank_conllu()
        data, vectors = Path(scratch) / "bank.conllu", Path(scratch) / "vectors.txt"
        data.write_text(conllu, encoding="utf-8")
        write_vectors(conllu, vectors)
        Pretrain(str(pretrain), str(vectors)).load()  # reads the text vectors, saves stanza's .pt form
        common = ["--train_file", str(data), "--eval_file", str(data), "--shorthand", "en_mimic", "--cpu", "--seed", "1"]
        neural = common + SIZES + ["--lang", "en", "--wordvec_pretrain_file", str(pretrain), "--max_steps", "2"]
        # --eval_interval 2: stanza 1.15's tagger.train ends in `return trainer, _`, which raises when the dev
        # set was never scored (the model file is written just before), so let it score once.
        tagger.main(neural + ["--composite_deep_biaff_hidden_dim", "8", "--batch_size", "50", "--eval_interval", "2",
                              "--fix_eval_interval", "--save_dir", str(english / "pos"), "--save_name", f"{MODEL}.pt"])
        lemmatizer.main(common + ["--dict_only", "--save_dir", str(english / "lemma"), "--save_name", f"{MODEL}.pt"])
        parser.main(neural + ["--deep_biaff_output_dim", "8", "--batch_size", "500", "--no_checkpoint",
                              "--save_dir", str(english / "depparse"), "--save_name", f"{MODEL}.pt"])
    # Only what stanza's loader reads: the package's processor -> model names, and each model's dependencies
    # (which become <processor>_pretrain_path). md5 sums are read only when downloading.
    uses_pretrain = {"dependencies": [{"model": "pretrain", "package": PACKAGE}]}
    resources = {"en": {
        "lang_name": "English",
        "tokenize": {PACKAGE: {}},  # never loaded: cxrlabel passes tokenize_pretokenized=True
        "pretrain": {PACKAGE: {}},
        "pos": {MODEL: uses_pretrain},
        "lemma": {MODEL: {}},
        "depparse": {MODEL: uses_pretrain},
        "packages": {PACKAGE: {"tokenize": PACKAGE, "pos": MODEL, "lemma": MODEL, "depparse": MODEL}},
    }}
    (folder / "resources.json").write_text(json.dumps(resources, indent=2), encoding="utf-8")
    return PACKAGE
