"""Grad-CAM (Selvaraju et al., 2017): where in the image the evidence for one output lies.

The last convolutional block's activations are weighted by the spatial mean of the gradient of
the output's logit and summed over channels; the positive part, upsampled, is the heat map.
"""
from __future__ import annotations

import io
import os
from collections import Counter
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

from cxrlabel.output_guard import make_folder, write_atomically

from ..model.losses import probabilities, score_for_output
from ..model.networks import CXRNet, cam_layer


def grad_cam(model: CXRNet, image: torch.Tensor, task: str, widths: list[int],
             output: int | None = None, temperatures: list[float] | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Heat map (H, W) in [0, 1] for one uint8 image (1, 1, H, W); output None = the most probable one.

    Returns (heat map, calibrated probabilities of every output, the output explained)."""
    captured: dict[str, torch.Tensor] = {}

    def keep(_module: torch.nn.Module, _inputs: object, activation: torch.Tensor) -> None:
        captured["activation"] = activation
        activation.register_hook(lambda grad: captured.__setitem__("gradient", grad))

    handle = cam_layer(model.arch, model.backbone).register_forward_hook(keep)
    model.eval()
    try:
        with torch.enable_grad():
            logits = model(image)
            probs = probabilities(task, widths, logits.detach(), temperatures)[0]
            if output is None:
                output = int(torch.argmax(probs))
            model.zero_grad(set_to_none=True)
            score_for_output(task, widths, logits, output).sum().backward()
    finally:
        handle.remove()
    activation, gradient = captured["activation"].detach()[0], captured["gradient"][0]
    weights = gradient.mean(dim=(1, 2))
    cam = torch.relu((weights[:, None, None] * activation).sum(dim=0))
    cam = F.interpolate(cam[None, None].float(), size=image.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
    peak = float(cam.max())
    cam = cam / peak if peak > 0 else cam
    return cam.cpu().numpy(), probs.cpu().numpy(), output


def overlay(gray: np.ndarray, cam: np.ndarray, caption: str, min_side: int = 256, max_side: int = 768) -> Image.Image:
    """The radiograph in gray with the heat map blended on top (jet colours), captioned, 256-768 px."""
    from matplotlib import colormaps

    base = Image.fromarray(gray)
    scale = min(max_side, max(min_side, max(base.size))) / max(base.size)
    size = (max(1, round(base.width * scale)), max(1, round(base.height * scale)))
    base = base.resize(size, Image.Resampling.BILINEAR).convert("RGB")
    heat = np.asarray(Image.fromarray((cam * 255).astype(np.uint8)).resize(size, Image.Resampling.BILINEAR)) / 255.0
    colours = colormaps["jet"](heat)[..., :3]
    alpha = 0.5 * heat[..., None]  # transparent where there is no evidence
    mixed = (np.asarray(base) / 255.0) * (1 - alpha) + colours * alpha
    picture = Image.fromarray((mixed * 255).clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 0, picture.width, 16), fill=(0, 0, 0))
    draw.text((4, 2), caption, fill=(255, 255, 255))
    return picture


def safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def overlay_stems(paths: list[Path]) -> list[Path]:
    """Where each image's heat map goes below the output folder, before its `_gradcam_<output>.png` ending.

    Images keep the folders that tell them apart (below the folder they all share), because every CheXpert
    image is called view1_frontal.jpg; images of one name in one folder (x.png, x.jpg) keep their suffix."""
    absolute = [Path(os.path.abspath(p)) for p in paths]
    common = Path(os.path.commonpath([p.parent for p in absolute])) if absolute else Path()
    stems = [p.parent.relative_to(common) / safe_name(p.stem) for p in absolute]
    counts = Counter(stems)
    taken: set[Path] = set()
    result = []
    for path, stem in zip(absolute, stems):
        if counts[stem] > 1:
            stem = stem.with_name(safe_name(path.name))
        unique, n = stem, 2
        while unique in taken:  # names that differ only in characters safe_name replaces
            unique, n = stem.with_name(f"{stem.name}-{n}"), n + 1
        taken.add(unique)
        result.append(unique)
    return result


def write_overlay(path: Path, gray: np.ndarray, cam: np.ndarray, caption: str) -> None:
    """The overlay as a PNG, written whole or not at all."""
    make_folder(path.parent, "out")
    buffer = io.BytesIO()
    overlay(gray, cam, caption).save(buffer, format="PNG")
    write_atomically(path, buffer.getvalue(), "out")
