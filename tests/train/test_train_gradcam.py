"""Grad-CAM must point at the planted evidence: a bright disc the model learned to detect."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from cxrtrain.cli import main
from cxrtrain.inference.gradcam import grad_cam
from cxrtrain.model.networks import load_run_model
from cxrtrain.settings import FitOptions
from cxrtrain.training.fit import fit

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


def test_cam_keeps_one_heat_map_per_image_when_names_repeat(quick_run, small, tmp_path, capsys):
    """Every CheXpert image is called view1_frontal.jpg: each gets its own map, below the folders that tell
    them apart, and each line says which image went where."""
    source = Image.open(small / "images" / "img0000.png")
    images = [tmp_path / "p1" / "s1" / "view1_frontal.jpg", tmp_path / "p2" / "s1" / "view1_frontal.jpg",
              tmp_path / "p2" / "s1" / "view1_frontal.png"]
    for image in images:
        image.parent.mkdir(parents=True, exist_ok=True)
        source.save(image)
    assert main(["cam", "--run", str(quick_run), *map(str, images), "--out", str(tmp_path / "cams")]) == 0
    lines = capsys.readouterr().out.splitlines()
    written = sorted(p.relative_to(tmp_path / "cams").as_posix() for p in (tmp_path / "cams").rglob("*.png"))
    assert len(written) == 3, written
    assert [w.split("_gradcam_")[0] for w in written] == ["p1/s1/view1_frontal", "p2/s1/view1_frontal.jpg",
                                                          "p2/s1/view1_frontal.png"]
    for image, line in zip(images, lines):
        target = line.split(" -> ")[1].split(" (")[0]
        assert line.startswith(f"{image} -> ") and Path(target).is_file()
