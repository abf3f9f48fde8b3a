"""`cxrtrain export`: a run's best model as one file that needs neither cxrtrain nor its run folder.

The exported module holds everything between the cached image and the answer: uint8 scaling,
channel replication, ImageNet normalisation, the network, the U-MultiClass and multiclass heads and
the run's temperatures. Its input is a uint8 grayscale batch (N, H, W) at the run's image size and
its output the calibrated probability of each output, so a deployment cannot preprocess or
calibrate differently from the run. The run's description (outputs, size, thresholds) travels
inside the file: `extra/cxrtrain.json` in TorchScript, metadata key `cxrtrain` in ONNX.
"""
from __future__ import annotations

import io
import json
import warnings
import zipfile
from pathlib import Path

import torch
from torch import nn

from cxrlabel.output_guard import is_stream, write_atomically

from ..errors import OptionError
from ..model.losses import probabilities
from ..model.networks import CXRNet
from ..settings import FORMATS
from .output import output_file, summary_stream
from .run import Run

# The format a file name asks for by its suffix; any other name is written as $fmt says (default TorchScript).
SUFFIX_FORMATS = {".onnx": "onnx", ".ts": "torchscript", ".pt": "torchscript", ".pth": "torchscript",
                  ".jit": "torchscript", ".torchscript": "torchscript"}
EXTRA = "cxrtrain.json"
# What predict reads from an export's description (`describe` writes them).
DESCRIBED = ("task", "outputs", "image_size", "thresholds")
ONNX_INSTALL = "pip install -e '.[onnx]' (onnx, onnxruntime and onnxscript)"


class CalibratedProbabilities(nn.Module):
    """uint8 (N, H, W) in, calibrated probabilities (N, outputs) out."""

    def __init__(self, model: CXRNet, task: str, widths: list[int], temperatures: list[float] | None):
        super().__init__()
        self.model, self.task, self.widths = model, task, list(widths)
        n = 1 if task == "multiclass" else len(widths)
        self.register_buffer("temperatures", torch.tensor(temperatures or [1.0] * n, dtype=torch.float32))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return probabilities(self.task, self.widths, self.model(images.unsqueeze(1)), self.temperatures)


def describe(run_meta: dict, thresholds: dict, run_folder: Path) -> dict:
    """What a user of the exported file needs to feed it and to read its output."""
    size = run_meta["image_size"]
    return {"format": 1, "run": str(run_folder), "arch": run_meta["arch"], "task": run_meta["task"],
            "outputs": run_meta["outputs"], "image_size": size,
            "input": f"uint8 grayscale (N, {size}, {size}), images resized (squashed) to {size} x {size}",
            "output": "calibrated probability per output (multiclass: softmax over the outputs)",
            "thresholds": thresholds}


def _refuse_foreign(path: Path) -> None:
    """Replace an earlier export of ours, never any other file (a device or pipe is written into, not replaced)."""
    if not path.exists() or is_stream(path):
        return
    if path.is_dir():
        raise OptionError("output", path, "is a folder; give a file name such as model.ts")
    if read_description(path, "output", quiet=True) is None:
        raise OptionError("output", path, "exists and is not a cxrtrain export, so it is not replaced; choose another file")


def export_format(output: Path, fmt: str | None) -> str:
    """The format to write: `fmt`, else the one the file's suffix names, else TorchScript. A `fmt` the suffix
    contradicts is refused, so that model.onnx never holds TorchScript (nor model.ts ONNX)."""
    implied = SUFFIX_FORMATS.get(output.suffix.lower())
    if fmt is None:
        return implied or "torchscript"
    if fmt not in FORMATS:
        raise OptionError("fmt", fmt, f"unknown; choose {' or '.join(FORMATS)}")
    if implied is not None and implied != fmt:
        suffix = ".onnx" if fmt == "onnx" else ".ts"
        raise OptionError("fmt", fmt, f"{output} is {implied} by its name; leave $fmt out to write {implied}, or "
                                      f"name the file {output.with_suffix(suffix).name}")
    return fmt


def export(run_folder: str, output: str, fmt: str | None = None, device: str = "cpu") -> Path:
    """Write the run's best model, preprocessing and calibration included, as `fmt` or as the file's suffix
    says (.onnx: ONNX; .ts, .pt: TorchScript; others TorchScript); returns the file written."""
    fmt = export_format(Path(output), fmt)
    run = Run(run_folder, "cpu" if device == "auto" else device)
    path = output_file(output, run.files())
    _refuse_foreign(path)
    module = CalibratedProbabilities(run.model.cpu().eval(), run.meta["task"], run.meta["widths"],
                                     run.temperatures).eval()
    size = run.meta["image_size"]
    example = torch.randint(0, 256, (2, size, size), dtype=torch.uint8)
    description = json.dumps(describe(run.meta, run.label_thresholds(), run.folder), indent=2)
    # Serialised in memory, then written whole through a temporary name: torch's file writer aborts the
    # process in C++ when the disk fills, and an earlier export stays whole until the new one is.
    if fmt == "torchscript":
        # torch marks TorchScript deprecated and the tracer flags the run's constants (input channel count,
        # temperatures), which are constants of an exported run by design; ONNX is the format that stays.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", (FutureWarning, torch.jit.TracerWarning))
            traced = torch.jit.trace(module, example)
            buffer = io.BytesIO()
            torch.jit.save(traced, buffer, _extra_files={EXTRA: description})
            data = buffer.getvalue()
    else:
        data = _onnx_bytes(module, example, description)
    write_atomically(path, data)
    print(f"exported {run.folder} ({run.meta['arch']}, {len(run.outputs)} outputs, input uint8 (N, {size}, {size})) "
          f"as {fmt} to {path}", file=summary_stream(path))
    return path


def _onnx_bytes(module: nn.Module, example: torch.Tensor, description: str) -> bytes:
    """The ONNX file, the run's description in its metadata. (A model this size needs no external data.)"""
    try:
        import onnx  # noqa: F401  (torch.onnx needs it; said here in the user's words)
    except ImportError:
        raise OptionError("fmt", "onnx", f"needs the onnx extra: {ONNX_INSTALL}") from None
    batch = torch.export.Dim("batch", min=1)
    try:
        program = torch.onnx.export(module, (example,), dynamo=True, dynamic_shapes=({0: batch},),
                                    input_names=["images"], output_names=["probabilities"])
    except ImportError as exc:
        raise OptionError("fmt", "onnx", f"{exc}; install {ONNX_INSTALL}") from None
    model = program.model_proto
    entry = model.metadata_props.add()
    entry.key, entry.value = "cxrtrain", description
    return model.SerializeToString()


def read_description(path: Path, setting: str = "model", quiet: bool = False) -> dict | None:
    """The description inside an export (TorchScript zip or ONNX); None (or, unless `quiet`, a UserError) when
    the file has none. A file that is not a zip can be told to be ONNX only by onnx: without it, that is said."""
    description = _zip_description(path) if zipfile.is_zipfile(path) else _onnx_description(path, setting)
    if quiet:
        return description
    if description is None:
        raise OptionError(setting, path, "not a model written by cxrtrain export (TorchScript or ONNX)")
    missing = [key for key in DESCRIBED if not isinstance(description, dict) or key not in description]
    if missing:
        raise OptionError(setting, path, f"its cxrtrain description is damaged (no {missing[0]!r}); export the run "
                                         "again")
    return description


def _zip_description(path: Path) -> dict | None:
    """The description a TorchScript export carries as an extra file; None for any other zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            name = next((n for n in archive.namelist() if n.endswith(f"extra/{EXTRA}")), None)
            return None if name is None else json.loads(archive.read(name))
    except (OSError, zipfile.BadZipFile, ValueError):  # unreadable, or not a zip / JSON after all
        return None


def _onnx_description(path: Path, setting: str) -> dict | None:
    """The description in an ONNX file's metadata; None for a file onnx cannot parse or that has none."""
    try:
        import onnx
        from google.protobuf.message import DecodeError
    except ImportError:
        raise OptionError(setting, path, f"is not TorchScript, and telling whether it is an ONNX export needs the "
                                         f"onnx package, which is not installed: {ONNX_INSTALL}") from None
    try:
        props = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
        return json.loads(props["cxrtrain"]) if "cxrtrain" in props else None
    except (OSError, DecodeError, ValueError):  # unreadable, not ONNX, or not our JSON
        return None


class ExportedModel:
    """An exported file, run by TorchScript or onnxruntime, with the description it carries."""

    def __init__(self, path: str | Path, device: torch.device):
        self.path = Path(path)
        if not self.path.is_file():
            raise OptionError("model", self.path, "no such file")
        self.meta = read_description(self.path)
        self.device = device
        self.module: torch.jit.ScriptModule | None = None  # TorchScript runs the one, onnxruntime the other
        self.session: object | None = None
        if zipfile.is_zipfile(self.path):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                try:
                    self.module = torch.jit.load(str(self.path), map_location=device).eval()
                except (RuntimeError, ValueError) as exc:  # a zip with our description, but no TorchScript model
                    raise OptionError("model", self.path, f"cannot be loaded as TorchScript "
                                      f"({exc.__class__.__name__}); export the run again") from None
        else:
            try:
                import onnxruntime
            except ImportError:
                raise OptionError("model", self.path, f"is ONNX, which needs onnxruntime: {ONNX_INSTALL}") from None
            self.session = onnxruntime.InferenceSession(str(self.path), providers=["CPUExecutionProvider"])

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Probabilities of a uint8 (N, H, W) batch."""
        if self.session is not None:
            return torch.from_numpy(self.session.run(None, {"images": images.numpy()})[0])
        return self.module(images.to(self.device)).float().cpu()
