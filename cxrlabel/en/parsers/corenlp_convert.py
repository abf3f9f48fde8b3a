"""PTB trees -> UD with Stanford CoreNLP's converter, for users who have the jar and java.

This is the converter the CheXpert labeler used; ours (`ptb_to_ud`) needs neither java nor the jar.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ...errors import UserError
from .conllu import ConllWord, read_conllu

CONVERTER_CLASS = "edu.stanford.nlp.trees.ud.UniversalDependenciesConverter"


def jar_path(option: str | None) -> str | None:
    """--corenlp-jar, else $CORENLP_JAR; None means our own converter."""
    return option or os.environ.get("CORENLP_JAR") or None


def command(jar: str, tree_file: str, java: str = "java") -> list[str]:
    return [java, "-mx1g", "-cp", jar, CONVERTER_CLASS, "-treeFile", tree_file]


def check(jar: str) -> str:
    """The java executable, after checking that java and the jar are there."""
    if not Path(jar).is_file():
        raise UserError(f"--corenlp-jar {jar}: no such file; give the path of stanford-corenlp-X.Y.Z.jar, "
                        "or leave the option out to use cxrlabel's own PTB -> UD converter")
    java = shutil.which("java")
    if not java:
        raise UserError("--corenlp-jar needs java on PATH (e.g. `apt-get install default-jre-headless`), "
                        "or leave the option out to use cxrlabel's own PTB -> UD converter")
    return java


def convert(trees: list[str], jar: str) -> list[list[ConllWord]]:
    """One CoNLL-U sentence per bracketed tree, in order."""
    java = check(jar)
    with tempfile.TemporaryDirectory(prefix="cxrlabel-corenlp-") as tmp:
        tree_file = os.path.join(tmp, "trees.mrg")
        Path(tree_file).write_text("\n".join(trees) + "\n", encoding="utf-8")
        done = subprocess.run(command(jar, tree_file, java), capture_output=True, text=True, encoding="utf-8")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise UserError(f"CoreNLP's UD converter failed (exit {done.returncode}): {last}")
    sentences = read_conllu(done.stdout)
    if len(sentences) != len(trees):
        raise UserError(f"CoreNLP's UD converter returned {len(sentences)} sentences for {len(trees)} trees")
    return sentences
