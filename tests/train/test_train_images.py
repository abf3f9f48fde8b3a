"""Decoding PNG/JPEG/DICOM (MONOCHROME1, 16-bit, VOI window) and the memory-mapped cache."""
from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from cxrtrain.data import cache as cache_module
from cxrtrain.data.cache import build_pack
from cxrtrain.data.images import ImageDecodeError, decode_gray, load_resized


def write_dicom(path, pixels: np.ndarray, photometric: str = "MONOCHROME2", bits_stored: int = 16,
                window: tuple[float, float] | None = None) -> None:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality = "DX"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, bits_stored, bits_stored - 1, 0
    if window:
        ds.WindowCenter, ds.WindowWidth = window
    ds.PixelData = pixels.astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)


def ramp(high: int) -> np.ndarray:
    pixels = np.zeros((8, 8), dtype=np.uint16)
    pixels[0, 0], pixels[0, 1], pixels[0, 2] = high, 0, (high + 1) // 2
    return pixels


def test_monochrome1_is_inverted(tmp_path):
    path = tmp_path / "mono1.dcm"
    write_dicom(path, ramp(4095), "MONOCHROME1", bits_stored=12)
    gray = decode_gray(path)
    assert gray.dtype == np.uint8 and gray.shape == (8, 8)
    assert gray[0, 0] == 0      # the highest stored value is dark in MONOCHROME1
    assert gray[0, 1] == 255    # and zero is bright
    assert abs(int(gray[0, 2]) - 128) <= 1


def test_sixteen_bit_monochrome2_scales_linearly_and_magic_detects_dicom(tmp_path):
    path = tmp_path / "no_suffix"  # archives often drop the .dcm suffix: the DICM magic is enough
    write_dicom(path, ramp(65535), "MONOCHROME2", bits_stored=16)
    gray = decode_gray(path)
    assert (gray[0, 0], gray[0, 1]) == (255, 0)
    assert abs(int(gray[0, 2]) - 128) <= 1


def test_voi_window_is_applied(tmp_path):
    pixels = np.array([[0, 500, 1000, 2000, 4095, 900]], dtype=np.uint16).repeat(4, axis=0)
    path = tmp_path / "window.dcm"
    write_dicom(path, pixels, bits_stored=12, window=(1000, 400))  # shows 800..1200 only
    row = decode_gray(path)[0]
    assert row[0] == row[1] == 0        # below the window: black
    assert row[3] == row[4] == 255      # above the window: white
    assert 110 < row[2] < 145           # window centre: mid gray
    assert 40 < row[5] < row[2]         # inside the window: graded


def test_png_and_jpeg_modes(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., :3] = 200
    rgba[:, :5, 3] = 255   # left half opaque, right half transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    gray = decode_gray(tmp_path / "rgba.png")
    assert gray[:, :5].min() == 200 and gray[:, 5:].max() == 0
    sixteen = (np.arange(100, dtype=np.uint16).reshape(10, 10) * 600)
    Image.fromarray(sixteen).save(tmp_path / "sixteen.png")
    gray = decode_gray(tmp_path / "sixteen.png")
    assert gray[0, 0] == 0 and gray[9, 9] == 255
    Image.fromarray(np.full((40, 30, 3), (90, 90, 90), np.uint8)).save(tmp_path / "rgb.jpg")
    assert abs(int(decode_gray(tmp_path / "rgb.jpg").mean()) - 90) <= 2
    assert load_resized(tmp_path / "rgb.jpg", 16).shape == (16, 16)


def test_unreadable_and_missing_images_raise_decode_errors(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ImageDecodeError, match="unreadable image"):
        decode_gray(tmp_path / "broken.png")
    with pytest.raises(ImageDecodeError, match="file not found"):
        decode_gray(tmp_path / "absent.png")
    (tmp_path / "bad.dcm").write_bytes(b"\0" * 200)
    with pytest.raises(ImageDecodeError, match="unreadable DICOM"):
        decode_gray(tmp_path / "bad.dcm")


def test_cache_decodes_once_and_notices_changed_files(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(5):
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(rng.integers(0, 255, (50, 40), dtype=np.uint8)).save(paths[-1])
    paths.append(tmp_path / "missing.png")
    (tmp_path / "broken.jpg").write_bytes(b"junk")
    paths.append(tmp_path / "broken.jpg")
    calls = []
    real = cache_module.load_resized
    monkeypatch.setattr(cache_module, "load_resized", lambda p, s: calls.append(p) or real(p, s))
    pack = build_pack(paths, 24, tmp_path / "cache", workers=2, progress=False)
    assert len(calls) == 7
    assert pack.ok.tolist() == [True] * 5 + [False, False]
    assert pack.errors[5] == "file not found" and "unreadable" in pack.errors[6]
    array = pack.open()
    assert isinstance(array, np.memmap) and array.shape == (7, 24, 24)
    np.testing.assert_array_equal(array[2], real(paths[2], 24))
    build_pack(paths, 24, tmp_path / "cache", progress=False)
    assert len(calls) == 7  # second run: nothing decoded
    stat = paths[0].stat()
    os.utime(paths[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    build_pack(paths, 24, tmp_path / "cache", progress=False)
    assert len(calls) == 14  # a changed file invalidates the pack
    build_pack(paths, 32, tmp_path / "cache", progress=False)
    assert len(calls) == 21  # another image size is another pack


def test_a_damaged_cache_index_is_decoded_again_not_a_traceback(tmp_path):
    paths = [tmp_path / f"{i}.png" for i in range(3)]
    for i, path in enumerate(paths):
        Image.fromarray(np.full((20, 20), 60 * i, np.uint8)).save(path)
    first = build_pack(paths, 16, tmp_path / "cache", progress=False)
    index = first.array_path.with_suffix(".json")
    for damage in ("{\"ok\": [tr", "{\"ok\": [true]}", "[1, 2]"):  # cut short, missing an entry, another shape
        index.write_text(damage)
        again = build_pack(paths, 16, tmp_path / "cache", progress=False)
        assert again.ok.tolist() == [True] * 3
        np.testing.assert_array_equal(again.open(), first.open())
