"""Training-time augmentation on the cached uint8 images (torchvision.transforms.v2).

The cache holds images already resized to the run's size, so augmentation works on those small
uint8 tensors: no decode, no float copy of the full image. Horizontal flips are off unless asked
for, because a flipped chest puts the heart on the wrong side (dextrocardia is a finding).
Each batch is augmented with its own seed, made from the batch's example numbers, so a run with
--augment gives the same images with any number of loader workers and after --resume.
"""
from __future__ import annotations

import zlib
from collections.abc import Callable
from functools import partial

import numpy as np
import torch
from torchvision.transforms import v2

# Small changes only: a chest radiograph is taken at a standard distance and orientation.
CROP_SCALE = (0.85, 1.0)
CROP_RATIO = (0.9, 1.1)
ROTATION_DEGREES = 10.0
BRIGHTNESS = 0.2
CONTRAST = 0.2
TTA_CROP = 0.9  # --tta: the whole image, then its centre and four corners at this share of the side


def build_augment(size: int, hflip: bool) -> v2.Compose:
    """The --augment pipeline for one (1, size, size) uint8 image.

    The image goes through v2's PIL kernels, which work on 8-bit pixels directly: the tensor kernels
    rotate through a float grid sample, which is slower (README, "Training options", has the
    measurement), and a loader worker must keep up with the GPU."""
    steps: list[torch.nn.Module] = [
        v2.ToPILImage(),
        v2.RandomResizedCrop(size, scale=CROP_SCALE, ratio=CROP_RATIO, antialias=True),
        v2.RandomRotation(ROTATION_DEGREES),
        v2.ColorJitter(brightness=BRIGHTNESS, contrast=CONTRAST),
    ]
    if hflip:
        steps.append(v2.RandomHorizontalFlip())
    return v2.Compose([*steps, v2.PILToTensor()])


def augment_batch(transform: v2.Compose, images: torch.Tensor, index: np.ndarray, seed: int) -> torch.Tensor:
    """Every image of a (B, 1, H, W) uint8 batch through `transform`, each with its own random draw.

    The draw is seeded by the batch's example numbers (which change every epoch with the shuffle),
    inside a forked RNG so the trainer's own random state is untouched."""
    digest = zlib.crc32(np.ascontiguousarray(index, dtype=np.int64).tobytes())
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed * 1_000_003 + digest)
        return torch.stack([transform(image) for image in images])


def tta_views(size: int) -> list[Callable[[torch.Tensor], torch.Tensor] | None]:
    """The fixed views --tta averages over: None (the image as it is), then five crops resized back."""
    crop = round(size * TTA_CROP)
    far, middle = size - crop, (size - crop) // 2
    corners = [(middle, middle), (0, 0), (0, far), (far, 0), (far, far)]
    return [None] + [partial(v2.functional.resized_crop, top=top, left=left, height=crop, width=crop,
                             size=[size, size], antialias=True) for top, left in corners]
