"""Decode PNG, JPEG and DICOM chest X-rays to one grayscale uint8 array.

Everything becomes 8-bit grayscale here, once, because radiographs carry one channel of
information whatever container they arrive in; the model replicates it to three channels.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

# A 4280 px scan is ~18 Mpx; real archives hold bigger ones, which PIL would refuse as "bombs".
Image.MAX_IMAGE_PIXELS = 400_000_000

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".dcm", ".dicom", ".dic", ".bmp", ".tif", ".tiff"}
DICOM_SUFFIXES = {".dcm", ".dicom", ".dic"}
# The first bytes of the formats PIL reads here: PNG, JPEG, BMP, TIFF (both byte orders).
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM", b"II*\x00", b"MM\x00*")


class ImageDecodeError(Exception):
    """An image that cannot be turned into pixels; the message is the reason shown in reports."""


def is_dicom(path: Path) -> bool:
    """DICOM by content: the 'DICM' magic after the 128-byte preamble (archives often drop the suffix). A file
    that starts as a PNG, JPEG, BMP or TIFF is that image whatever its suffix; the suffix decides only for a
    file with neither, such as an old DICOM without the preamble."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(132)
    except OSError:
        return path.suffix.lower() in DICOM_SUFFIXES
    if head[128:132] == b"DICM":
        return True
    if head.startswith(IMAGE_MAGIC):
        return False
    return path.suffix.lower() in DICOM_SUFFIXES


def to_uint8(array: np.ndarray) -> np.ndarray:
    """Stretch any numeric array linearly to 0..255 (flat images become black)."""
    array = np.asarray(array, dtype=np.float64)
    low, high = float(np.nanmin(array)), float(np.nanmax(array))
    if not np.isfinite(low) or not np.isfinite(high) or high <= low:
        return np.zeros(array.shape, dtype=np.uint8)
    return np.clip(np.rint((array - low) * (255.0 / (high - low))), 0, 255).astype(np.uint8)


def _decode_dicom(path: Path) -> np.ndarray:
    import pydicom
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    try:
        ds = pydicom.dcmread(path, force=True)
        pixels = ds.pixel_array
    except Exception as exc:  # pydicom raises many types (missing decoder plugins, bad tags)
        raise ImageDecodeError(f"unreadable DICOM ({exc.__class__.__name__}: {exc})") from None
    if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1:
        pixels = pixels[0]
    photometric = str(getattr(ds, "PhotometricInterpretation", "MONOCHROME2")).upper()
    if pixels.ndim == 3:  # colour DICOM (pydicom already converted YBR to RGB)
        return to_uint8(pixels[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114]))
    # Stored values -> modality values (rescale slope/intercept) -> the window the radiologist saw.
    values = apply_modality_lut(pixels, ds)
    values = apply_voi_lut(values, ds)
    gray = to_uint8(values)
    if photometric == "MONOCHROME1":  # high values mean dark in MONOCHROME1
        gray = 255 - gray
    return gray


def _pil_to_gray(image: Image.Image) -> np.ndarray:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit / float PNG and TIFF
        return to_uint8(np.asarray(image))
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        # Transparent pixels carry no anatomy: composite on black like the film background.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        image = Image.alpha_composite(background, rgba)
    return np.asarray(image.convert("L"))


def decode_gray(path: str | Path, size_hint: int | None = None) -> np.ndarray:
    """Full grayscale pixels of one image; size_hint lets JPEG decode at a reduced scale (much faster)."""
    path = Path(path)
    if not path.is_file():
        raise ImageDecodeError("file not found")
    if is_dicom(path):
        return _decode_dicom(path)
    try:
        with Image.open(path) as image:
            if image.format == "JPEG" and size_hint:
                image.draft("L", (size_hint, size_hint))
            image = ImageOps.exif_transpose(image)
            return _pil_to_gray(image)
    except ImageDecodeError:
        raise
    except Exception as exc:  # PIL raises OSError, SyntaxError, ValueError... for broken files
        raise ImageDecodeError(f"unreadable image ({exc.__class__.__name__}: {exc})") from None


def gray_of(image: str | Path | Image.Image, size_hint: int | None = None) -> np.ndarray:
    """decode_gray for a file, and the same conversion for an image already opened with PIL."""
    if isinstance(image, Image.Image):
        return _pil_to_gray(ImageOps.exif_transpose(image))
    return decode_gray(image, size_hint)


def resize_gray(gray: np.ndarray, size: int) -> np.ndarray:
    """Resize to size x size (the CheXpert recipe squashes; no crop, so no finding is cut off)."""
    image = Image.fromarray(gray)
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=3.0)
    return np.array(image, dtype=np.uint8)  # writable: torch refuses read-only arrays


def load_resized(path: str | Path, size: int) -> np.ndarray:
    """One image as a size x size uint8 array, the unit the cache stores."""
    return resize_gray(decode_gray(path, size_hint=size), size)


def find_images(folder: Path) -> list[Path]:
    """Image files under a folder, recursively, in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
