"""The part folder of an extract run: one file per finished chunk, a manifest, and the final files made from them.

Each part is written to a temporary name and renamed, then recorded in manifest.json with its row range
and checksum. A run that is killed, or stops on a full disk, leaves only whole parts behind, and
`--resume` continues after them without losing or repeating a row. The final output is assembled from
the parts into a temporary file that is renamed into place.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from .engines.chunk_task import ChunkResult
from .errors import UserError
from .tabular import concat_parquet

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
# How a changed option is named in the message that refuses --resume.
OPTION_NAMES = {"mentions": "--mentions-out", "rules_digest": "the rule or lexicon files", "version": "the cxrlabel version",
                "folder_output": "-o (a folder or a file)", "no_header": "--no-header"}


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary name beside `path`, then rename: a reader sees the old file or the whole new one."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def saved_chunk_size(folder: Path) -> int | None:
    """The chunk size of the unfinished run in `folder`, which a resumed run must keep."""
    try:
        return int(json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["identity"]["options"]["chunk_size"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _differences(old: dict, new: dict) -> list[str]:
    out = []
    if old.get("input") != new.get("input"):
        out.append("the input changed since that run (files, sizes or modification times differ)")
    before, now = old.get("options", {}), new.get("options", {})
    for key in sorted(set(before) | set(now)):
        if before.get(key) != now.get(key):
            name = OPTION_NAMES.get(key, "--" + key.replace("_", "-"))
            out.append(f"{name} was {before.get(key)!r}, now {now.get(key)!r}")
    return out


class PartStore:
    def __init__(self, folder: Path, identity: dict, parts: dict[int, dict], columns: list[str] | None,
                 created: bool) -> None:
        self.folder = folder
        self.identity = identity
        self.parts = parts
        self.columns = columns
        self.created = created  # this run made the folder, so it may remove it when nothing was done
        self.dropped = 0  # parts found damaged or missing on resume, to be labelled again

    @classmethod
    def open(cls, folder: Path, identity: dict, resume: bool) -> "PartStore":
        """Continue the unfinished run in `folder` (with `resume`), or start a new one there."""
        identity = json.loads(json.dumps(identity))  # compare as the manifest stores it
        manifest = folder / MANIFEST
        if manifest.exists():
            try:
                state = json.loads(manifest.read_text(encoding="utf-8"))
                parts = {int(p["index"]): p for p in state["parts"]}
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise UserError(f"{manifest}: unreadable ({exc}); delete {folder} to start again") from None
            done = sum(p["rows"] for p in parts.values())
            if not resume:
                raise UserError(f"{folder} holds an unfinished run ({len(parts)} parts, {done} rows done): add --resume "
                                "to continue it, or delete the folder to start again")
            changed = _differences(state.get("identity", {}), identity)
            if changed:
                raise UserError(f"cannot --resume the run in {folder}: {'; '.join(changed)}. Run as before, "
                                "or delete the folder to start again")
            store = cls(folder, identity, parts, state.get("columns"), created=False)
            store._check_parts()
            return store
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise UserError(f"{folder}: exists but is not a part folder of cxrlabel (no {MANIFEST}); "
                            "move it away or choose another -o")
        store = cls(folder, identity, {}, None, created=not folder.exists())
        try:
            folder.mkdir(exist_ok=True)
            store._save()
        except OSError as exc:
            raise store._write_error(folder, exc) from None
        return store

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
        if exc.errno == errno.ENOSPC:
            fix = "free some disk space"
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            fix = "make the folder writable"
        else:
            fix = "fix that"
        kept = f"the {len(self.parts)} finished parts are kept in {self.folder}: " if self.parts else ""
        return UserError(f"{path}: cannot write ({exc.strerror or exc}); {kept}{fix}, then run the same command "
                         "with --resume")

    def discard(self) -> None:
        """Remove the folder and everything in it."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def assemble(self, output: Path, as_folder: bool, mentions: Path | None) -> None:
        """Write the final labels (and mentions) from the parts, in row order, each through a temporary name."""
        order = [self.parts[i] for i in sorted(self.parts)]
        expected = 0
        for part in order:  # contiguous row ranges: no row lost, none repeated
            if part["start"] != expected:
                raise UserError(f"{self.folder}: rows {expected + 1}-{part['start']} have no part; "
                                "run the same command with --resume")
            expected += part["rows"]
        fmt = self.identity["options"]["output_format"]
        targets = [(output, output.with_name(output.name + ".tmp"))]
        if mentions is not None:
            targets.append((mentions, mentions.with_name(mentions.name + ".tmp")))
        try:
            for _, tmp in targets:
                _remove(tmp)
            if as_folder:
                self._labels_folder(order, fmt, targets[0][1])
            elif fmt == "parquet":
                self._labels_parquet(order, targets[0][1])
            else:
                self._concatenate(order, "labels", targets[0][1], self._csv_header())
            if mentions is not None:
                self._concatenate(order, "mentions", targets[1][1], b"")
            for final, tmp in targets:
                _replace(tmp, final)
        except OSError as exc:
            for _, tmp in targets:
                _remove(tmp)
            raise self._write_error(Path(exc.filename or output), exc) from None

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
        target.mkdir()
        for part in order:
            source = self.folder / part["labels"]["file"]
            if fmt == "parquet":
                shutil.copyfile(source, target / source.name)
            else:
                self._concatenate([part], "labels", target / source.name, self._csv_header())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _replace(tmp: Path, final: Path) -> None:
    """Rename into place; an existing output folder is moved aside first, as a folder cannot be replaced whole."""
    if tmp.is_dir() and final.is_dir():
        old = final.with_name(final.name + ".old")
        _remove(old)
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old)
    else:
        os.replace(tmp, final)
