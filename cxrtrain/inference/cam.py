"""`cxrtrain cam`: Grad-CAM overlays of a run's best model on images, written below a folder of their own."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from cxrlabel.errors import UserError
from cxrlabel.output_guard import check_output, claim_folder

from ..data.images import ImageDecodeError, decode_gray
from .gradcam import overlay_stems, safe_name, write_overlay
from .run import Run

SIZE_HINT = 768  # JPEGs are decoded at about this size: the overlays are drawn at 256-768 px


def cam(run_folder: str, images: list[str], out: str, *, observation: str | None = None,
        device: str = "auto") -> list[Path]:
    """Grad-CAM overlay PNGs for the most probable output (or the one named) of each image; images of one name
    in different folders keep those folders below `out` (`gradcam.overlay_stems`)."""
    given: dict[str, str] = {}
    for image in images:  # each image once, named as the user gave it
        given.setdefault(os.path.abspath(image), image)
    images = list(given.values())
    run = Run(run_folder, device)
    wanted = run.output_index(observation)
    check_output(out, [*images, *run.files()], "out")
    claim_folder(out, "cxrtrain cam", "out")
    written, failed = [], []
    for raw, stem in zip(images, overlay_stems([Path(image) for image in images])):
        path = Path(raw)
        try:
            gray = decode_gray(path, size_hint=SIZE_HINT)
        except ImageDecodeError as exc:
            failed.append(f"{path}: {exc}")
            continue
        heat, probs, output = run.heat_map(gray, wanted)
        name = run.outputs[output]
        target = Path(out) / stem.parent / f"{stem.name}_gradcam_{safe_name(name)}.png"
        write_overlay(target, gray, heat, f"Grad-CAM: {name} p={probs[output]:.2f}")
        written.append(target)
        print(f"{path} -> {target} ({name}, p={probs[output]:.3f})")
    for line in failed:
        print(f"cxrtrain: skipped {line}", file=sys.stderr)
    if not written:
        raise UserError("no image could be read; nothing written")
    return written
