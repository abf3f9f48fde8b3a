"""A model's logits for cached images: the one forward pass that fit's validation and scoring, evaluate,
predict and `load_run` share, sharded across the ranks of a torchrun run and gathered in row order."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .. import distributed
from ..data.batches import CachedBatches, EvalBatches, make_loader
from ..data.cache import ImagePack, MemoryPack
from ..model.networks import CXRNet

View = Callable[[torch.Tensor], torch.Tensor]


@torch.no_grad()
def predict_logits(model: CXRNet, pack: ImagePack | MemoryPack, rows: np.ndarray, width: int,
                   ctx: distributed.Context, batch_size: int, workers: int, amp: bool,
                   view: View | None = None) -> np.ndarray:
    """Logits for pack rows (seen through `view`, a fixed crop, when given), computed in shards across ranks
    and gathered in row order on every rank."""
    rows = np.asarray(rows, dtype=np.int64)
    dataset = CachedBatches(pack, rows, np.zeros((len(rows), 1), np.float32), np.zeros((len(rows), 1), bool))
    loader = make_loader(dataset, EvalBatches(len(rows), batch_size, ctx.world, ctx.rank), workers,
                         ctx.device.type == "cuda")
    model.eval()
    index_parts, logit_parts = [np.zeros(0, np.int64)], [np.zeros((0, width), np.float32)]
    for images, _, _, index in loader:
        if view is not None:
            images = view(images)
        with torch.autocast(ctx.device.type, dtype=torch.float16, enabled=amp):
            logits = model(images.to(ctx.device, non_blocking=True))
        logit_parts.append(logits.float().cpu().numpy())
        index_parts.append(index.numpy())
    return ctx.gather_rows(np.concatenate(index_parts), np.concatenate(logit_parts))


def mean_logits(models: list[CXRNet], pack: ImagePack | MemoryPack, rows: np.ndarray, width: int,
                ctx: distributed.Context, batch_size: int, workers: int, amp: bool,
                views: list[View | None] | None = None) -> np.ndarray:
    """Logits averaged over models (an ensemble) and fixed views (--tta); one model, one view is plain prediction."""
    parts = [predict_logits(model, pack, rows, width, ctx, batch_size, workers, amp, view)
             for model in models for view in (views or [None])]
    return np.mean(parts, axis=0).astype(np.float32)
