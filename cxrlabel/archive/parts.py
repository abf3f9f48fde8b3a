"""The part folder of an archive run (extract, zh label): one file per finished chunk, a manifest, and the final files made from them.

Each part is written to a temporary name and renamed, then recorded in manifest.json with its row range
and checksum. A run that is killed, or stops on a full disk, leaves only whole parts behind, and
`--resume` continues after them without losing or repeating a row. The final output is assembled from
the parts into a temporary file that is renamed into place.

The folder carries our marker and is locked by the run writing it, so a second run on the same output
is refused while the first is alive instead of labelling the same chunks; the lock goes with the process,
however it ends. Temporary files are new hidden names this process created, so cleaning up after a
failure never removes a file of the user's that happens to be called `<output>.tmp`.

An output that is written into rather than replaced (standard output, a device, a FIFO or pipe:
`output_guard.is_stream`) has no place beside it for parts: its parts go to a private temporary folder
that goes with the run, so such a run cannot be resumed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import pandas as pd

from .chunk_task import ChunkResult
from ..errors import UserError
from ..folder_lock import LOCK, hold
from ..output_guard import is_ours, is_stream, make_folder, mark_folder, replacing, write_atomically, write_error
from ..tables import concat_parquet

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
# How a changed part of the run identity is named in the message that refuses to resume, besides the names each
# labeller gives its own options; any other is the setting of that name.
OPTION_NAMES = {"version": "the cxrlabel version"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _differences(old: dict, new: dict, names: Mapping[str, str]) -> list[str]:
    out = []
    if old.get("input") != new.get("input"):
        out.append("the input changed since that run (files, sizes or modification times differ)")
    before, now = old.get("options", {}), new.get("options", {})
    for key in sorted(set(before) | set(now)):
        if before.get(key) != now.get(key):
            name = {**OPTION_NAMES, **names}.get(key, "$" + key)
            out.append(f"{name} was {before.get(key)!r}, now {now.get(key)!r}")
    return out


def _made_before_markers(folder: Path) -> bool:
    """A parts folder of a cxrlabel from before the marker: its manifest says so."""
    try:
        return "cxrlabel_parts" in json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


class PartStore:
    """The parts folder of one output, locked by this run from `claim` until it is closed."""

    def __init__(self, folder: Path, lock: int, created: bool, scratch: bool = False) -> None:
        self.folder = folder
        self._lock = lock
        self.scratch = scratch  # a private temporary folder (the output is a stream), removed with the run
        # no earlier run's parts are here (this run made the folder, or found nothing done), so the folder
        # may go when this run stops before finishing a part
        self.fresh = created
        self.identity: dict = {}
        self.parts: dict[int, dict] = {}
        self.columns: list[str] | None = None
        self.dropped = 0  # parts found damaged or missing on resume, to be labelled again

    @classmethod
    def claim(cls, output: Path, command: str = "cxrlabel extract") -> "PartStore":
        """Make or take `<output>.parts/` and lock it; refused when it is not ours or another run holds it.
        `command` names the run in the message to a second one. A stream output gets a scratch folder."""
        if is_stream(output):
            folder = Path(tempfile.mkdtemp(prefix="cxrlabel-parts-"))
            try:
                mark_folder(folder, "extract parts")
                return cls(folder, os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o600), True, scratch=True)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
        folder = output.with_name(output.name + ".parts")
        while True:
            if (folder.exists() and not is_ours(folder) and not _made_before_markers(folder)
                    and (not folder.is_dir() or any(folder.iterdir()))):
                raise UserError(f"{folder}: exists but is not a part folder of cxrlabel (no marker); "
                                "move it away or choose another $output")
            created = not folder.exists()
            make_folder(folder)  # -o may name folders still to be made
            try:
                if not is_ours(folder):  # new, empty, or made by a cxrlabel from before the marker
                    mark_folder(folder, "extract parts")
                lock = hold(folder / LOCK, command, output)
            except OSError as exc:
                raise write_error(folder / LOCK, exc) from None
            except UserError:
                if created:
                    shutil.rmtree(folder, ignore_errors=True)  # made by this call, holding nothing of anyone's
                raise
            if lock is not None:
                return cls(folder, lock, created)

    def __enter__(self) -> "PartStore":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        """Release the lock; a run that stops before finishing any part leaves no folder that holds nothing."""
        if self.scratch or (kind is not None and self.fresh and not self.parts):
            self.discard()
        os.close(self._lock)

    def saved_chunk_size(self) -> int | None:
        """The chunk size of the unfinished run here, which a resumed run must keep."""
        try:
            return int(json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))["identity"]["options"]["chunk_size"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def begin(self, identity: dict, resume: bool, names: Mapping[str, str] | None = None) -> None:
        """Continue the unfinished run here (with `resume`), or start a new one: a run that finished no part
        holds nothing to resume, so it is started again without asking. `names`: how the refusal names an
        option of the identity that changed, where its own name would not say it."""
        identity = json.loads(json.dumps(identity))  # compare as the manifest stores it
        manifest = self.folder / MANIFEST
        if manifest.exists():
            try:
                state = json.loads(manifest.read_text(encoding="utf-8"))
                parts = {int(p["index"]): p for p in state["parts"]}
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise UserError(f"{manifest}: unreadable ({exc}); delete {self.folder} to start again") from None
            if parts:
                done = sum(p["rows"] for p in parts.values())
                if not resume:
                    raise UserError(f"{self.folder} holds an unfinished run ({len(parts)} parts, {done} rows done): add "
                                    "$resume to continue it, or delete the folder to start again")
                changed = _differences(state.get("identity", {}), identity, names or {})
                if changed:
                    raise UserError(f"cannot $resume the run in {self.folder}: {'; '.join(changed)}. Run as before, "
                                    "or delete the folder to start again")
                self.identity, self.parts, self.columns = identity, parts, state.get("columns")
                self._check_parts()
                return
        self.identity, self.fresh = identity, True
        self._save()

    def resume_note(self) -> str:
        """What a resumed run continues from, for the command to print."""
        if not self.parts:
            return f"nothing to resume in {self.folder}; starting from the first row"
        again = f"; {self.dropped} damaged parts will be labelled again" if self.dropped else ""
        return f"resuming: {self.rows_done} rows in {len(self.parts)} parts are done{again}"

    @property
    def rows_done(self) -> int:
        return sum(p["rows"] for p in self.parts.values())

    def _check_parts(self) -> None:
        """Drop parts whose files are missing or changed (they are labelled again) and leftover temporary files."""
        for tmp in self.folder.glob("*.tmp"):
            tmp.unlink()
        for index, part in list(self.parts.items()):
            files = [part["labels"]] + ([part["mentions"]] if part.get("mentions") else [])
            for f in files:
                path = self.folder / f["file"]
                if not path.is_file() or path.stat().st_size != f["bytes"] or _sha256(path) != f["sha256"]:
                    del self.parts[index]
                    self.dropped += 1
                    break

    def is_done(self, index: int, start: int, rows: int) -> bool:
        part = self.parts.get(index)
        if part is None:
            return False
        if (part["start"], part["rows"]) != (start, rows):
            raise UserError(f"{self.folder}: part {index} holds rows {part['start'] + 1}-{part['start'] + part['rows']}, "
                            f"but the input now gives rows {start + 1}-{start + rows} there; delete the folder to start again")
        return True

    def add(self, result: ChunkResult) -> None:
        """Write a finished chunk's files, then record them in the manifest."""
        stem = f"part-{result.index:06d}"
        part = {"index": result.index, "start": result.start, "rows": result.rows, "positives": result.positives,
                "labels": self._write(f"{stem}.{self.identity['options']['output_format']}", result.labels),
                "mentions": self._write(f"{stem}.mentions.jsonl", result.mentions) if result.mentions is not None else None}
        if result.counts is not None:
            part["counts"] = result.counts
        self.parts[result.index] = part
        self.columns = result.columns
        self._save()

    def _write(self, name: str, data: bytes) -> dict:
        write_atomically(self.folder / name, data, **self._advice())
        return {"file": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def _save(self) -> None:
        state = {"cxrlabel_parts": MANIFEST_VERSION, "identity": self.identity, "columns": self.columns,
                 "parts": [self.parts[i] for i in sorted(self.parts)]}
        write_atomically(self.folder / MANIFEST, json.dumps(state, indent=1, ensure_ascii=False).encode("utf-8"),
                         **self._advice())

    def _advice(self) -> dict[str, str]:
        """What a write error says is kept and what to run next: $resume, where finished parts are kept for it."""
        if self.scratch or not self.parts:
            return {}
        return {"kept": f"the {len(self.parts)} finished parts are kept in {self.folder}: ",
                "then": ", then run the same command with $resume"}

    def discard(self) -> None:
        """Remove the folder and everything in it, when it is ours (it always is once claimed)."""
        if is_ours(self.folder):
            shutil.rmtree(self.folder, ignore_errors=True)

    def assemble(self, output: Path, as_folder: bool, mentions: Path | None) -> None:
        """Write the final labels (and mentions) from the parts, in row order, each through a temporary name."""
        order = [self.parts[i] for i in sorted(self.parts)]
        expected = 0
        for part in order:  # contiguous row ranges: no row lost, none repeated
            if part["start"] != expected:
                raise UserError(f"{self.folder}: rows {expected + 1}-{part['start']} have no part; "
                                "run the same command with $resume")
            expected += part["rows"]
        fmt = self.identity["options"]["output_format"]
        if as_folder:
            output = output.resolve()  # a link to a folder: the folder it names is replaced, beside itself
        advice = self._advice()
        # Both written whole before either is put in place (the mentions first, being the inner block).
        with replacing(output, folder=as_folder, **advice) as labels_tmp:
            if as_folder:
                self._labels_folder(order, fmt, labels_tmp)
            elif fmt == "parquet":
                self._labels_parquet(order, labels_tmp)
            else:
                self._concatenate(order, "labels", labels_tmp, self._csv_header())
            if mentions is not None:
                with replacing(mentions, "mentions_out", **advice) as mentions_tmp:
                    self._concatenate(order, "mentions", mentions_tmp, b"")

    def _csv_header(self) -> bytes:
        return pd.DataFrame(columns=self.columns).to_csv(index=False).encode("utf-8")

    def _concatenate(self, order: list[dict], kind: str, target: Path, head: bytes) -> None:
        with open(target, "wb") as out:
            out.write(head)
            for part in order:
                with open(self.folder / part[kind]["file"], "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)

    def _labels_parquet(self, order: list[dict], target: Path) -> None:
        concat_parquet([self.folder / part["labels"]["file"] for part in order], target)

    def _labels_folder(self, order: list[dict], fmt: str, target: Path) -> None:
        mark_folder(target, "extract labels")
        for part in order:
            source = self.folder / part["labels"]["file"]
            if fmt == "parquet":
                shutil.copyfile(source, target / source.name)
            else:
                self._concatenate([part], "labels", target / source.name, self._csv_header())

