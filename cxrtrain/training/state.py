"""fit's progress, typed: what last.pt holds to resume a run exactly (`Progress`), one row of history.csv
(`HistoryRow`) and one kept checkpoint of --keep-top (`TopEntry`)."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields


@dataclass
class HistoryRow:
    """One finished epoch, as history.csv and the log give it."""

    stage: int
    epoch: int
    train_loss: float
    val_loss: float
    val_mean_auc: float | None
    best_val_loss: float
    improved: bool
    images_per_s: float
    seconds: float
    lr: float | None


HISTORY_FIELDS = [f.name for f in fields(HistoryRow)]


@dataclass
class TopEntry:
    """A checkpoint kept for the ensemble: its selection score (lower is better) and file in the run folder."""

    score: float
    stage: int
    epoch: int
    file: str


@dataclass
class Progress:
    """Where a run stands: its stage (U-SelfTrained trains twice) and epoch, the best epoch of the stage so far,
    the epochs without improvement, whether patience stopped it, its history and its top checkpoints."""

    stage: int = 1
    epoch: int = 0
    best_loss: float = math.inf
    best_score: float = math.inf  # what the best epoch minimises (`loop.selection_score`)
    best_epoch: int = 0
    bad_epochs: int = 0
    stopped: bool = False
    history: list[HistoryRow] = field(default_factory=list)
    top: list[TopEntry] = field(default_factory=list)

    def next_stage(self) -> None:
        """Start the next stage afresh; its history and top checkpoints stay."""
        self.stage, self.epoch, self.best_epoch, self.bad_epochs, self.stopped = self.stage + 1, 0, 0, 0, False
        self.best_loss = self.best_score = math.inf

    def stage_epochs(self, stage: int) -> int:
        """How many epochs of `stage` the history holds."""
        return sum(1 for row in self.history if row.stage == stage)

    def to_checkpoint(self) -> dict:
        """Plain values, as last.pt stores them (torch.load with weights_only reads no classes of ours)."""
        return asdict(self)

    @classmethod
    def from_checkpoint(cls, state: dict) -> Progress:
        """last.pt's state; runs saved before the top checkpoints were kept have none."""
        names = {f.name for f in fields(cls)} - {"history", "top"}
        return cls(**{k: v for k, v in state.items() if k in names},
                   history=[HistoryRow(**{f: row.get(f) for f in HISTORY_FIELDS}) for row in state["history"]],
                   top=[TopEntry(**entry) for entry in state.get("top", [])])
