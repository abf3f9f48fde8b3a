"""The part folder of an extract run: one file per finished chunk, a manifest, and the final files made from them.

Each part is written to a temporary name and renamed, then recorded in manifest.json with its row range
and checksum. A run that is killed, or stops on a full disk, leaves only whole parts behind, and
`--resume` continues after them without losing or repeating a row. The final output is assembled from
the parts into a temporary file that is renamed into place.

The folder carries our marker and is locked by the run writing it, so a second run on the same output
is refused while the first is alive instead of labelling the same chunks; the lock goes with the process,
however it ends. Temporary files are new hidden names this process created, so cleaning up after a
failure never removes a file of the user's that happens to be called `<output>.tmp`.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path
from types import TracebackType

import pandas as pd

from .chunk_task import ChunkResult
from ..errors import UserError
from ..folder_lock import LOCK, hold
from ..output_guard import is_ours, mark_folder, temporary, write_atomically
from ..tables import concat_parquet

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
# How a changed part of the run identity is named in the message that refuses to resume; any other is the
# setting of that name.
OPTION_NAMES = {"mentions": "$mentions_out", "rules_digest": "the rule or lexicon files", "version": "the cxrlabel version",
                "folder_output": "$output (a folder or a file)", "lexicon_dirs": "$lexicon_dir",
                "label_map_sha256": "the contents of $label_map", "model_sha256": "the contents of model.json",
                "clause_overrides_sha256": "the clause overrides file (its contents, or whether there is one)",
                "zh_rules_sha256": "the rules/zh or lexicons/zh files the model names"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _differences(old: dict, new: dict) -> list[str]:
    out = []
    if old.get("input") != new.get("input"):
        out.append("the input changed since that run (files, sizes or modification times differ)")
    before, now = old.get("options", {}), new.get("options", {})
    for key in sorted(set(before) | set(now)):
        if before.get(key) != now.get(key):
            name = OPTION_NAMES.get(key, "$" + key)
            out.append(f"{name} was {before.get(key)!r}, now {now.get(key)!r}")
    return out


def _write_error(path: Path, exc: OSError, kept: str = "") -> UserError:
    if exc.errno == errno.ENOSPC:
        fix = "free some disk space"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "make the folder writable"
    else:
        fix = "fix that"
    return UserError(f"{path}: cannot write ({exc.strerror or exc}); {kept}{fix}, then run the same command with $resume")


def _made_before_markers(folder: Path) -> bool:
    """A parts folder of a cxrlabel from before the marker: its manifest says so."""
    try:
        return "cxrlabel_parts" in json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


class PartStore:
    """The parts folder of one output, locked by this run from `claim` until it is closed."""

    def __init__(self, folder: Path, lock: int, created: bool) -> None:
        self.folder = folder
        self._lock = lock
        # no earlier run's parts are here (this run made the folder, or found nothing done), so the folder
        # may go when this run stops before finishing a part
        self.fresh = created
        self.identity: dict = {}
        self.parts: dict[int, dict] = {}
        self.columns: list[str] | None = None
        self.dropped = 0  # parts found damaged or missing on resume, to be labelled again

    @classmethod
    def claim(cls, output: Path) -> "PartStore":
        """Make or take `<output>.parts/` and lock it; refused when it is not ours or another run holds it."""
        folder = output.with_name(output.name + ".parts")
        while True:
            if (folder.exists() and not is_ours(folder) and not _made_before_markers(folder)
                    and (not folder.is_dir() or any(folder.iterdir()))):
                raise UserError(f"{folder}: exists but is not a part folder of cxrlabel (no marker); "
                                "move it away or choose another $output")
            created = not folder.exists()
            try:
                folder.mkdir(parents=True, exist_ok=True)  # -o may name folders still to be made
                if not is_ours(folder):  # new, empty, or made by a cxrlabel from before the marker
                    mark_folder(folder, "extract parts")
                lock = hold(folder / LOCK, "cxrlabel extract", output)
            except OSError as exc:
                raise _write_error(folder, exc) from None
            if lock is not None:
                return cls(folder, lock, created)

    def __enter__(self) -> "PartStore":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        """Release the lock; a run that stops before finishing any part leaves no folder that holds nothing."""
        if kind is not None and self.fresh and not self.parts:
            self.discard()
        os.close(self._lock)

    def saved_chunk_size(self) -> int | None:
        """The chunk size of the unfinished run here, which a resumed run must keep."""
        try:
            return int(json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))["identity"]["options"]["chunk_size"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def begin(self, identity: dict, resume: bool) -> None:
        """Continue the unfinished run here (with `resume`), or start a new one: a run that finished no part
        holds nothing to resume, so it is started again without asking."""
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
                changed = _differences(state.get("identity", {}), identity)
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
        try:
            write_atomically(self.folder / name, data)
        except OSError as exc:
            raise self._write_error(self.folder / name, exc) from None
        return {"file": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def _save(self) -> None:
        state = {"cxrlabel_parts": MANIFEST_VERSION, "identity": self.identity, "columns": self.columns,
                 "parts": [self.parts[i] for i in sorted(self.parts)]}
        try:
            write_atomically(self.folder / MANIFEST, json.dumps(state, indent=1, ensure_ascii=False).encode("utf-8"))
        except OSError as exc:
            raise self._write_error(self.folder / MANIFEST, exc) from None

    def _write_error(self, path: Path, exc: OSError) -> UserError:
        return _write_error(path, exc, f"the {len(self.parts)} finished parts are kept in {self.folder}: " if self.parts else "")

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
        made: list[tuple[Path, Path]] = []  # (final name, temporary name)
        try:
            made.append((output, temporary(output, folder=as_folder)))
            if as_folder:
                self._labels_folder(order, fmt, made[0][1])
            elif fmt == "parquet":
                self._labels_parquet(order, made[0][1])
            else:
                self._concatenate(order, "labels", made[0][1], self._csv_header())
            if mentions is not None:
                made.append((mentions, temporary(mentions)))
                self._concatenate(order, "mentions", made[1][1], b"")
            for final, tmp in made:
                _replace(tmp, final)
        except OSError as exc:
            raise self._write_error(Path(exc.filename or output), exc) from None
        finally:
            for _, tmp in made:  # what was not renamed into place, however this stopped
                _remove(tmp)

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


def _remove(path: Path) -> None:
    """Remove a temporary file or folder this process made, if it is still there."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _replace(tmp: Path, final: Path) -> None:
    """Rename into place. A folder cannot replace a non-empty one in one step, so an earlier output folder of
    ours is first renamed to a new hidden name of ours, then removed; one that is not ours makes the rename
    fail (it is not empty), so it is never removed."""
    if tmp.is_dir() and final.is_dir() and is_ours(final):
        aside = temporary(final, folder=True)
        os.replace(final, aside)
        try:
            os.replace(tmp, final)
        except BaseException:
            os.replace(aside, final)  # the earlier output stays where it was
            raise
        shutil.rmtree(aside)
    else:
        os.replace(tmp, final)
