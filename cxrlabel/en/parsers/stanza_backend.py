"""stanza backend: our sentences, PTB-tokenised by us, parsed straight to Universal Dependencies.

stanza is never allowed to download: a missing model stops the run with the command that fetches it
on a machine with internet, and the option that points to the copied folder.
"""
from __future__ import annotations

import os
from pathlib import Path

from ...errors import UserError
from ..graph import Graph
from . import BaseParser
from .ptb_tokenize import tokenize
from .ud_graph import UDWord, build_graph

PROCESSORS = "tokenize,pos,lemma,depparse"
# stanza's English packages with a dependency parser; the clinical and biomedical ones come first.
# (stanza's "radiology" and "i2b2" packages are NER models only: they have no parser.)
PACKAGES = ("mimic", "genia", "craft", "default")
PREFERRED = ("mimic", "default")


def resources_dir(option: str | None) -> Path:
    """--stanza-dir, else $STANZA_RESOURCES_DIR, else stanza's own default folder."""
    return Path(option or os.environ.get("STANZA_RESOURCES_DIR") or Path.home() / "stanza_resources").expanduser()


def fetch_command(package: str, folder: str = "stanza_resources") -> str:
    return (f"python -c \"import stanza; stanza.download('en', model_dir='{folder}', package='{package}', "
            f"processors='{PROCESSORS}')\"")


def missing_model_message(folder: Path, package: str | None, detail: str = "") -> str:
    pkg = package or "mimic"
    return (f"no stanza English parser model{f' {package!r}' if package else ''} in {folder}{detail}. "
            f"On a machine with internet run: {fetch_command(pkg)} ; copy the stanza_resources folder here "
            f"and pass --stanza-dir stanza_resources (or set STANZA_RESOURCES_DIR). "
            "cxrlabel never downloads models while labelling.")


def installed_packages(folder: Path) -> list[str]:
    """English packages whose parser files are in the folder, read from its resources.json."""
    import json

    try:
        resources = json.loads((folder / "resources.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    english = resources.get("en", {})
    found = []
    for package in PACKAGES:
        spec = english.get("packages", {}).get(package)  # stanza finds "default" there too
        depparse = spec.get("depparse") if isinstance(spec, dict) else None
        if depparse and (folder / "en" / "depparse" / f"{depparse}.pt").is_file():
            found.append(package)
    return found


def to_graph(sentence: str, offsets: list[tuple[int, int]], words) -> Graph:
    """Turn one stanza Sentence (word ids 1-based, head 0 for the root) into our Graph."""
    return build_graph(sentence, [
        UDWord(w.text, w.lemma or w.text, w.upos or "", w.xpos or "", (w.head or 0) - 1, w.deprel or "dep",
               start, end)
        for w, (start, end) in zip(words, offsets)
    ])


class StanzaParser(BaseParser):
    name = "stanza"
    reads_trees = False

    def __init__(self, stanza_dir: str | None = None, stanza_package: str | None = None, batch_size: int = 256) -> None:
        try:
            import stanza
        except ImportError:
            raise UserError("stanza is not installed; install it with `pip install 'cxrlabel[stanza]'`") from None
        folder = resources_dir(stanza_dir)
        if not (folder / "resources.json").is_file():
            raise UserError(missing_model_message(folder, stanza_package, " (no resources.json)"))
        found = installed_packages(folder)
        if stanza_package:
            candidates = [stanza_package]
        else:
            candidates = [p for p in PREFERRED if p in found] or found or list(PREFERRED)
        errors = []
        for package in candidates:
            try:
                nlp = stanza.Pipeline(lang="en", dir=str(folder), package=package, processors=PROCESSORS,
                                      tokenize_pretokenized=True, download_method=None,
                                      logging_level="WARN", use_gpu=_cuda())
            except Exception as exc:  # stanza raises several types for a missing or partial model
                errors.append(f"{package}: {type(exc).__name__}")
                continue
            # stanza drops, with only a logged warning, each processor the package has no model for
            # (e.g. "radiology" is NER only): a parser-less pipeline would make every word a root.
            missing = [p for p in PROCESSORS.split(",") if p not in nlp.processors]
            if missing:
                errors.append(f"{package}: no {', '.join(missing)} model")
                continue
            self.nlp, self.package = nlp, package
            break
        else:
            raise UserError(missing_model_message(folder, stanza_package, f" ({'; '.join(errors)})"))
        self.batch_size = batch_size

    def parse(self, sentences: list[str]) -> list[Graph]:
        graphs: list[Graph] = []
        for first in range(0, len(sentences), self.batch_size):
            batch = sentences[first:first + self.batch_size]
            tokens = [tokenize(s) for s in batch]
            doc = self.nlp([[w for w, _, _ in toks] for toks in tokens])
            for sentence, toks, parsed in zip(batch, tokens, doc.sentences):
                graphs.append(to_graph(sentence, [(s, e) for _, s, e in toks], parsed.words))
        return graphs


def _cuda() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False
