"""What a reader of a run's metrics must know about the model it kept: warnings given at the end of fit and
stored in metrics.json (a setting named by its name there, by its flag in the command line's log)."""
from __future__ import annotations

import numpy as np

from .state import HistoryRow

# A model whose probabilities spread less than this over a split's images gives one answer for all of them.
CONSTANT_OUTPUT_SPREAD = 1e-3
# $select_by loss keeping an epoch this much below the best validation AUC is said in the log and metrics.
AUC_GAP_WARNING = 0.05


def constant_output_warning(probs: dict[str, np.ndarray]) -> str | None:
    """A model that gives every image of a split the same probabilities has learned nothing image-specific
    (seen with googlenet and inception_v3 on small runs); its AUCs are then meaningless ties."""
    for split, values in probs.items():
        if len(values) < 2:
            continue
        spread = values.max(axis=0) - values.min(axis=0)
        if (spread < CONSTANT_OUTPUT_SPREAD).all():
            return (f"warning: the model gives (nearly) the same output for every {split} image (largest spread "
                    f"{spread.max():.2g}): it has learned nothing image-specific. Train longer, change $lr, or use "
                    "another $arch")
    return None


def best_epoch_warning(history: list[HistoryRow], stage: int, epoch: int, select_by: str) -> str | None:
    """Say so when the epoch kept by validation loss is far below the best validation AUC of its stage."""
    rows = [r for r in history if r.stage == stage and r.val_mean_auc is not None]
    chosen = next((r for r in rows if r.epoch == epoch), None)
    if select_by != "loss" or chosen is None:
        return None
    top = max(rows, key=lambda r: r.val_mean_auc)
    if top.val_mean_auc - chosen.val_mean_auc <= AUC_GAP_WARNING:
        return None
    return (f"warning: the best epoch by validation loss is epoch {chosen.epoch} (val mean AUC "
            f"{chosen.val_mean_auc:.3f}), but epoch {top.epoch} reached val mean AUC {top.val_mean_auc:.3f}; "
            "$select_by auc keeps the epoch with the best AUC")
