"""Grad-CAM must point at the planted evidence: a bright disc the model learned to detect."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from PIL import Image

from cxrtrain.gradcam import grad_cam
from cxrtrain.models import load_run_model
from cxrtrain.train import FitOptions, fit

from .synthetic import draw

SIZE = 128  # resnet18's last block is SIZE/32 = 4 cells wide: the heat map cannot be sharper than that
CAM_THRESHOLD = 0.7
MIN_MEAN_IOU = 0.35  # measured 0.54 here; a heat map of another image scores 0.10


def test_gradcam_highlights_the_planted_disc(tmp_path, cache_dir):
    rng = np.random.default_rng(0)
    (tmp_path / "images").mkdir()
    rows = []
    for i in range(96):
        image, _, _ = draw(SIZE, disc=i % 2 == 0, bar=False, rng=rng)
        Image.fromarray(image).save(tmp_path / "images" / f"{i}.png")
        rows.append({"Path": f"images/{i}.png", "Disc": i % 2 == 0 and "1.0" or "0.0"})
    pd.DataFrame(rows).to_csv(tmp_path / "labels.csv", index=False)
    fit(FitOptions(labels=str(tmp_path / "labels.csv"), images=str(tmp_path), out=str(tmp_path / "run"),
                   arch="resnet18", image_size=SIZE, epochs=6, batch_size=16, lr=1e-3, val_frac=0.2, test_frac=0.0,
                   patience=0, cache_dir=str(cache_dir), progress=False))
    model, meta = load_run_model(tmp_path / "run" / "best.pt")
    ious, hits, shuffled = [], [], []
    previous = None
    for _ in range(20):
        image, disc, _ = draw(SIZE, disc=True, bar=False, rng=rng)
        heat, probs, output = grad_cam(model, torch.from_numpy(image)[None, None], meta["task"], meta["widths"])
        assert output == 0 and probs[0] > 0.5 and heat.shape == (SIZE, SIZE)
        region = heat >= CAM_THRESHOLD
        ious.append((region & disc).sum() / (region | disc).sum())
        hits.append(disc.flat[int(heat.argmax())])
        if previous is not None:  # chance level: another image's heat map against this disc
            shuffled.append((previous & disc).sum() / (previous | disc).sum())
        previous = region
    print(f"Grad-CAM IoU mean {np.mean(ious):.3f} (min {np.min(ious):.3f}), peak inside disc "
          f"{np.mean(hits):.2f}, chance IoU {np.mean(shuffled):.3f}")
    assert np.mean(ious) > MIN_MEAN_IOU
    assert np.mean(ious) > 2.5 * np.mean(shuffled)
    assert np.mean(hits) >= 0.6
