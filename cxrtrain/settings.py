"""What `cxrtrain` can be asked for: every fit option with its default (FitOptions) and the names each choice
accepts. Nothing here imports torch, numpy or pandas, so that `cxrtrain --help` answers at once; the modules
that act on these settings import them from here."""
from __future__ import annotations

import os
from dataclasses import dataclass

ARCHS = ("densenet121", "resnet18", "resnet50", "resnet101", "vgg16", "googlenet", "inception_v3")
OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("none", "cosine", "step", "plateau")
PLATEAU_PATIENCE = 1  # plateau: tenfold lower after this many epochs without a better selection metric
POLICIES = ("u-ignore", "u-zeros", "u-ones", "u-selftrained", "u-multiclass")
TASKS = ("multilabel", "multiclass", "binary")
BLANK_MODES = ("zero", "ignore")  # blank cells: negatives (CheXpert) or masked (torchxrayvision)
CLASS_WEIGHTS = ("none", "balanced")
DEVICES = ("auto", "cpu", "cuda")
SELECT_BY = ("loss", "auc")
MIN_CLASS_TRAIN_IMAGES = 5
FORMATS = ("torchscript", "onnx")


@dataclass
class FitOptions:
    """Every `fit` option; defaults follow the CheXpert recipe (DenseNet-121, Adam 1e-4, batch 20, 320 px)."""

    labels: str
    images: str
    out: str
    path_column: str | None = None
    id_column: str | None = None
    image_pattern: str | None = None
    observations: list[str] | None = None
    task: str = "multilabel"
    policy: str = "u-ignore"
    policy_per_observation: str | None = None
    blank: str = "zero"
    arch: str = "densenet121"
    weights: str | None = None
    image_size: int = 320
    epochs: int = 15
    batch_size: int = 20
    lr: float = 1e-4
    class_weights: str = "none"
    oversample: bool = False
    split_column: str | None = None
    val_frac: float = 0.16
    test_frac: float = 0.2
    seed: int = 0
    device: str = "auto"
    amp: bool = False
    resume: bool = False
    workers: int | None = None
    patience: int = 5
    cache_dir: str | None = None
    encoding: str | None = None
    progress: bool = True
    frontal_only: bool = False
    metadata: str | None = None
    augment: bool = False
    hflip: bool = False
    optimizer: str = "adam"
    weight_decay: float = 0.0
    lr_schedule: str = "none"
    warmup_epochs: int = 0
    select_by: str = "loss"
    operating_point: str = "f1"
    keep_top: int = 1


# Options that name files and folders: config.json holds them whole, so that a replay ($config) or a resume
# finds them from any folder.
PATH_OPTIONS = ("labels", "images", "out", "weights", "metadata", "cache_dir")


def absolute_paths(options: dict, base: str | os.PathLike = ".") -> dict:
    """`options` with each relative path among PATH_OPTIONS taken from the folder `base`."""
    return {key: os.path.abspath(os.path.join(base, value)) if key in PATH_OPTIONS and isinstance(value, str) else value
            for key, value in options.items()}
