"""The one way an archive run writes its output, for every labeller (`cxrlabel extract`, `cxrlabel zh label`):
claim the output's part folder, open the input, begin (or resume) the run with its identity, label the
chunks not yet done, assemble the output from the parts, discard them, and warn about the input.

The labeller supplies what differs: its chunk task, its spec and run identity (`ArchiveInput`, made once
the part folder is claimed, since a resumed run keeps the chunk size its parts were cut with), and how its
options are named when --resume is refused. Nothing here knows a language."""
from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from ..tables import ChunkedTable
from .chunk_task import ChunkResult, ChunkTask, Failure, TaskSpec
from .parts import PartStore
from .run import ChunkFailed, RunTally, label_archive
from .run_identity import run_identity
from .scale import Scale


@dataclass(frozen=True, kw_only=True)
class ArchiveCommand:
    """What a labeller's command gives every run it makes."""

    name: str  # e.g. "cxrlabel extract": names the run to a second one on the same output
    work: Callable[[ChunkTask, TaskSpec], ChunkResult]  # one chunk (or piece) to its part's bytes
    option_names: Mapping[str, str] = field(default_factory=dict)  # identity key -> how a refused --resume names it
    hidden: tuple[str, ...] = ()  # packages the workers need not import
    configure: Callable[[TaskSpec, int, str], TaskSpec] | None = None  # the spec for (workers, engine)


@dataclass(frozen=True, kw_only=True)
class ArchiveInput:
    """The run's input as the labeller opened it, the spec its chunks share, and what --resume checks."""

    table: ChunkedTable
    text_column: str
    id_column: str | None  # None: reports are named by their row, and no id is counted
    spec: TaskSpec
    options: dict[str, object]  # the labeller's options that change the output (the run identity)


@dataclass(frozen=True, kw_only=True)
class ArchiveOutput:
    labels: Path
    as_folder: bool = False  # a folder of one part file per chunk
    mentions: Path | None = None


@dataclass(frozen=True, kw_only=True)
class WrittenArchive:
    """What a finished run reports: counts only, never report text or ids."""

    table: ChunkedTable
    parts: list[dict] = field(default_factory=list)  # the manifest's parts, in row order
    tally: RunTally

    @property
    def rows(self) -> int:
        return sum(part["rows"] for part in self.parts)

    def count(self, name: str) -> int:
        """A tally the chunk task kept per part (`ChunkResult.counts`), over the whole run."""
        return sum(part.get("counts", {}).get(name, 0) for part in self.parts)


def failure_message(failure: Failure, column: str) -> str:
    """A report no labeller could label, named by file, row and id; its text only with --log-text."""
    rid = f" (id {failure.report_id!r})" if failure.report_id is not None else ""
    text = (f"; report text: {failure.text!r}" if failure.text is not None
            else "; add --log-text to show the report's text in this message")
    return f"{failure.source}: row {failure.row}{rid}, column {column!r}: {failure.message}{text}"


def write_archive(command: ArchiveCommand, output: ArchiveOutput, scale: Scale,
                  open_input: Callable[[int], ArchiveInput], *, quiet: bool) -> WrittenArchive:
    """Label the input `open_input(chunk_size)` gives into `output`, resuming where `scale.resume` says so.

    The part folder is locked before its manifest is read, and let go however the run ends. `quiet`: no
    resume note and no progress bar; the warnings about the input are always printed."""
    with PartStore.claim(output.labels, command.name) as store:
        source = open_input(scale.chunk_size_for(store))
        store.begin(run_identity(source.table.identity(), source.options), scale.resume, command.option_names)
        if scale.resume and not quiet:
            print(f"cxrlabel: {store.resume_note()}", file=sys.stderr)
        try:
            tally = label_archive(source.table, source.text_column, source.id_column, store, source.spec,
                                  command.work, scale, command.hidden, quiet, command.configure)
        except ChunkFailed as exc:
            raise UserError(failure_message(exc.failure, source.text_column)) from None
        store.assemble(output.labels, output.as_folder, output.mentions)
        if not scale.keep_parts:
            store.discard()
    table = source.table
    if table.replaced_chars:
        print(f"cxrlabel: warning: {table.replaced_chars} undecodable bytes in {table.replaced_rows} rows were "
              "replaced with U+FFFD; give --encoding to read them correctly", file=sys.stderr)
    repeated = tally.repeated.warning(source.id_column) if source.id_column else None
    if repeated:
        print(repeated, file=sys.stderr)
    return WrittenArchive(table=table, parts=[store.parts[i] for i in sorted(store.parts)], tally=tally)
