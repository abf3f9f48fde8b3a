"""Synthetic radiographs with a planted signal: a bright disc means A, a bright bar means B."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from cxrtrain.settings import FitOptions


def draw(size: int, disc: bool, bar: bool, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A noisy gray image and the boolean masks of its disc and bar (empty when absent)."""
    yy, xx = np.mgrid[:size, :size]
    image = rng.normal(70, 18, (size, size))
    disc_mask = np.zeros((size, size), bool)
    bar_mask = np.zeros((size, size), bool)
    if disc:
        r = size * 0.16
        cy, cx = rng.uniform(r + 2, size - r - 2, 2)
        disc_mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
    if bar:
        w, h = int(size * 0.6), max(3, int(size * 0.08))
        y0, x0 = rng.integers(2, size - h - 2), rng.integers(2, size - w - 2)
        bar_mask[y0:y0 + h, x0:x0 + w] = True
    image[disc_mask] += 120
    image[bar_mask] += 120
    return np.clip(image, 0, 255).astype(np.uint8), disc_mask, bar_mask


def make_dataset(folder: Path, n: int, size: int, seed: int = 0, patients_per_image: float = 0.5) -> Path:
    """PNG images plus a cxrlabel-style labels.csv (id, Reports, observation columns with blanks and -1)."""
    rng = np.random.default_rng(seed)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    n_patients = max(2, int(n * patients_per_image))
    for i in range(n):
        disc, bar = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
        image, _, _ = draw(size, disc, bar, rng)
        name = f"img{i:04d}.png"
        Image.fromarray(image).save(folder / "images" / name)
        a = "1.0" if disc else ("" if rng.random() < 0.3 else "0.0")   # blank = not mentioned
        b = "1.0" if bar else "0.0"
        if rng.random() < 0.08:  # a few uncertain mentions
            a = "-1.0"
        rows.append({"id": f"img{i:04d}", "Path": f"images/{name}", "patient_id": f"p{i % n_patients}",
                     "Reports": "Findings: see image. Impression: synthetic.", "Disc": a, "Bar": b,
                     "n_labels": str(int(disc) + int(bar))})
    path = folder / "labels.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def quick_options(data: Path, out: Path, cache_dir: Path, **changes) -> FitOptions:
    """A fit of a few CPU seconds on a set made by make_dataset: resnet18 at 32 px, 3 epochs."""
    options = dict(labels=str(data / "labels.csv"), images=str(data), out=str(out), arch="resnet18", image_size=32,
                   epochs=3, batch_size=8, lr=1e-3, patience=0, cache_dir=str(cache_dir), progress=False)
    return FitOptions(**{**options, **changes})


CHEXPERT_OBSERVATIONS = ("No Finding", "Enlarged Cardiomediastinum", "Cardiomegaly", "Lung Opacity", "Lung Lesion",
                         "Edema", "Consolidation", "Pneumonia", "Atelectasis", "Pneumothorax", "Pleural Effusion",
                         "Pleural Other", "Fracture", "Support Devices")


def make_chexpert(root: Path, n_patients: int, size: int, seed: int = 0) -> Path:
    """A CheXpert-v1.0-small tree: train.csv / valid.csv as Stanford ships them and JPEGs at
    {train,valid}/patientNNNNN/studyS/viewV_{frontal,lateral}.jpg. Frontal views carry the planted
    signal (disc = Cardiomegaly, bar = Pleural Effusion); lateral views are noise, so a run that
    keeps them learns less. Returns the dataset folder (root/CheXpert-v1.0-small)."""
    rng = np.random.default_rng(seed)
    top = root / "CheXpert-v1.0-small"
    for split, patients in (("train", range(1, n_patients + 1)), ("valid", range(n_patients + 1, n_patients + 9))):
        rows = []
        for patient in patients:
            for study in range(1, int(rng.integers(1, 3)) + 1):
                disc, bar = bool(rng.random() < 0.4), bool(rng.random() < 0.5)
                views = ["frontal"] + (["lateral"] if rng.random() < 0.4 else [])
                for number, view in enumerate(views, start=1):
                    if view == "frontal":
                        image, _, _ = draw(size, disc, bar, rng)
                    else:
                        image = np.clip(rng.normal(70, 18, (size, size)), 0, 255).astype(np.uint8)
                    relative = Path(top.name, split, f"patient{patient:05d}", f"study{study}",
                                    f"view{number}_{view}.jpg")
                    (root / relative).parent.mkdir(parents=True, exist_ok=True)
                    Image.fromarray(image).save(root / relative, quality=95)
                    labels = {name: "" for name in CHEXPERT_OBSERVATIONS}
                    labels["Cardiomegaly"] = "1.0" if disc else ("-1.0" if rng.random() < 0.05 else "0.0")
                    labels["Pleural Effusion"] = "1.0" if bar else ""
                    labels["No Finding"] = "" if disc or bar else "1.0"
                    labels["Support Devices"] = "1.0" if rng.random() < 0.3 else ""
                    rows.append({"Path": relative.as_posix(), "Sex": "Female" if rng.random() < 0.5 else "Male",
                                 "Age": str(int(rng.integers(20, 90))),
                                 "Frontal/Lateral": view.capitalize(),
                                 "AP/PA": ("AP" if rng.random() < 0.5 else "PA") if view == "frontal" else "",
                                 **labels})
        pd.DataFrame(rows).to_csv(top / f"{split}.csv", index=False)
    return top


def read_labels(table: Path, images: Path, **changes):
    """prepare_labels with fit's defaults for the options a test does not name."""
    from cxrtrain.data.labelled import prepare_labels

    options = dict(path_column=None, id_column=None, image_pattern=None, task="multilabel", observations=None,
                   policy="u-ignore", policy_per_observation=None, blank="zero")
    return prepare_labels(table, images, **{**options, **changes})


def flat_image(path: Path) -> None:
    """A small grey image at `path` (its folders made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 8), 100, np.uint8)).save(path)
