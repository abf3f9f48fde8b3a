"""Backbones, input normalisation, and strict weight loading.

The network takes the cached uint8 grayscale batch itself (B, 1, H, W): scaling, channel
replication and ImageNet normalisation run inside the model, on the device, so the loader moves
a quarter of the bytes and predict / cam / evaluate can never normalise differently from fit.
A model started from torchxrayvision weights keeps torchxrayvision's input instead: one channel
scaled to [-1024, 1024], with the first convolution those weights were trained with.
"""
from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import nn
from torchvision import models as tvm

from cxrlabel.errors import UserError

from ..errors import OptionError
from ..settings import ARCHS

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Keys of the ImageNet classifier (and auxiliary classifiers): the one part of an ImageNet state
# dict that is not loaded, because it predicts 1000 ImageNet classes, not these observations.
HEAD_PREFIXES = {
    "densenet121": ("classifier.",), "resnet18": ("fc.",), "resnet50": ("fc.",), "resnet101": ("fc.",),
    "vgg16": ("classifier.",), "googlenet": ("fc.", "aux1.", "aux2."), "inception_v3": ("fc.", "AuxLogits."),
}
MIN_IMAGE_SIZE = {"inception_v3": 75}
INPUTS = ("imagenet", "xrv")
# The first convolution of each backbone: one input channel there marks torchxrayvision weights.
FIRST_CONV = {"densenet121": "features.conv0", "resnet18": "conv1", "resnet50": "conv1", "resnet101": "conv1"}
# torchxrayvision's own extras beside the network's weights (its operating-point thresholds).
XRV_EXTRA_KEYS = ("op_threshs",)
# Old torchvision DenseNet files name layers 'norm.1'; current modules call them 'norm1'.
_DENSENET_OLD_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.([12])\.(weight|bias|running_mean|running_var|num_batches_tracked)$")


def build_backbone(arch: str, n_outputs: int) -> nn.Module:
    """A randomly initialised torchvision backbone whose classifier maps pooled features to n_outputs."""
    if arch not in ARCHS:
        raise OptionError("arch", arch, f"unknown; choose one of {', '.join(ARCHS)}")
    if arch == "densenet121":
        net = tvm.densenet121(weights=None)
        net.classifier = nn.Linear(net.classifier.in_features, n_outputs)
    elif arch.startswith("resnet"):
        net = getattr(tvm, arch)(weights=None)
        net.fc = nn.Linear(net.fc.in_features, n_outputs)
    elif arch == "vgg16":
        net = tvm.vgg16(weights=None)
        # Global average pooling + one linear layer, like the other backbones (and any input size works).
        net.avgpool = nn.AdaptiveAvgPool2d(1)
        net.classifier = nn.Linear(512, n_outputs)
    elif arch == "googlenet":
        net = tvm.googlenet(weights=None, aux_logits=False, init_weights=True)
        net.fc = nn.Linear(net.fc.in_features, n_outputs)
    else:
        net = tvm.inception_v3(weights=None, aux_logits=False, init_weights=True)
        net.fc = nn.Linear(net.fc.in_features, n_outputs)
    return net


def cam_layer(arch: str, backbone: nn.Module) -> nn.Module:
    """The last convolutional block, whose activations Grad-CAM weighs."""
    if arch == "densenet121":
        return backbone.features
    if arch.startswith("resnet"):
        return backbone.layer4
    if arch == "vgg16":  # the last ReLU, before the final max-pool halves the resolution
        return [m for m in backbone.features if isinstance(m, nn.ReLU)][-1]
    if arch == "googlenet":
        return backbone.inception5b
    return backbone.Mixed_7c


class CXRNet(nn.Module):
    """uint8 grayscale in, logits out; `input_norm` imagenet (3 channels) or xrv (torchxrayvision's)."""

    def __init__(self, arch: str, n_outputs: int, input_norm: str = "imagenet"):
        super().__init__()
        self.arch, self.input_norm = arch, input_norm
        self.backbone = build_backbone(arch, n_outputs)
        if input_norm == "xrv":
            if arch not in FIRST_CONV:
                raise UserError(f"torchxrayvision weights fit densenet121 and resnet50 only, not $arch {arch}")
            parent_name, _, name = FIRST_CONV[arch].rpartition(".")
            parent = self.backbone.get_submodule(parent_name) if parent_name else self.backbone
            old = getattr(parent, name)
            setattr(parent, name, nn.Conv2d(1, old.out_channels, old.kernel_size, old.stride, old.padding, bias=False))
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.channels_last = False

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float()
        if images.dtype == torch.uint8:
            x = x / 255.0
        if self.input_norm == "xrv":
            x = x * 2048.0 - 1024.0  # torchxrayvision's datasets.normalize(image, 255)
        else:
            if x.shape[1] == 1:
                x = x.expand(-1, 3, -1, -1)
            x = (x - self.mean) / self.std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.backbone(x)


def check_image_size(arch: str, size: int) -> None:
    smallest = MIN_IMAGE_SIZE.get(arch, 32)
    if size < smallest:
        raise OptionError("image_size", size, f"too small for {arch}; use at least {smallest}")


def _unwrap_state(obj: object, path: Path) -> dict[str, torch.Tensor]:
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model", "model_state_dict", "net"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise UserError(f"$weights {path}: not a state dict (a mapping of parameter names to tensors)")
    state = {}
    # torchxrayvision's ResNet wraps the torchvision network as `.model`
    wrapped = all(k.removeprefix("module.").startswith("model.") for k in obj if k not in XRV_EXTRA_KEYS)
    for key, value in obj.items():
        if key in XRV_EXTRA_KEYS:
            continue
        key = key.removeprefix("module.")
        key = key.removeprefix("model.") if wrapped else key
        key = _DENSENET_OLD_KEY.sub(r"\1\2.\3", key)
        state[key] = value
    return state


def weights_input_norm(path: str | Path, arch: str) -> str:
    """'xrv' when --weights holds torchxrayvision weights (a one-channel first convolution), else 'imagenet'."""
    obj = read_weights_file(path)
    if isinstance(obj, dict) and "cxrtrain" in obj:
        return obj["cxrtrain"].get("input", "imagenet")
    conv = _unwrap_state(obj, Path(path)).get(f"{FIRST_CONV.get(arch, '')}.weight")
    return "xrv" if conv is not None and conv.ndim == 4 and conv.shape[1] == 1 else "imagenet"


def read_weights_file(path: str | Path) -> object:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"$weights {path}: no such file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and torch errors vary by file damage
        raise UserError(f"$weights {path}: cannot read it as a PyTorch weights file "
                        f"({exc.__class__.__name__}: {str(exc).splitlines()[0][:200]})") from None


def _guess_arch(keys: set[str]) -> str | None:
    best, best_score = None, 0.0
    for arch in ARCHS:
        with torch.device("meta"):
            expected = set(build_backbone(arch, 1).state_dict())
        score = len(keys & expected) / max(len(keys | expected), 1)
        if score > best_score:
            best, best_score = arch, score
    return best if best_score > 0.5 else None


def load_initial_weights(model: CXRNet, path: str | Path, outputs: list[str] | None = None) -> str:
    """Load --weights strictly into the backbone; returns what was loaded, for the run log.

    Accepts a torchvision (ImageNet-style) state dict, a torchxrayvision state dict (into a model built
    with input_norm='xrv') or a cxrtrain checkpoint. Every backbone key must be present with the right
    shape. The classifier head is loaded only from a cxrtrain checkpoint of the same outputs (names and
    order, when `outputs` is given) and shape; otherwise it starts at random initialisation, and the
    returned message says why.
    """
    path = Path(path)
    obj = read_weights_file(path)
    same_outputs, other = False, "the file's head predicts other outputs"
    if isinstance(obj, dict) and "cxrtrain" in obj:
        trained_arch = obj["cxrtrain"].get("arch")
        if trained_arch != model.arch:
            raise UserError(f"$weights {path} is a cxrtrain checkpoint of a {trained_arch} model, but $arch is "
                            f"{model.arch}; pass $arch {trained_arch}")
        state = {k.removeprefix("backbone."): v for k, v in obj["model"].items()}
        trained_outputs = obj["cxrtrain"].get("outputs")
        same_outputs = outputs is None or trained_outputs == outputs
        if not same_outputs:
            other = f"the checkpoint predicts {', '.join(map(str, trained_outputs))}, not {', '.join(outputs)}"
    else:
        state = _unwrap_state(obj, path)
    expected = model.backbone.state_dict()
    heads = HEAD_PREFIXES[model.arch]
    is_head = lambda key: key.startswith(heads)  # noqa: E731
    missing = [k for k in expected if not is_head(k) and k not in state]
    unexpected = [k for k in state if not is_head(k) and k not in expected]
    wrong_shape = [k for k in expected if not is_head(k) and k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or wrong_shape:
        guess = _guess_arch(set(state))
        hint = f" It looks like {guess} weights: pass $arch {guess}." if guess and guess != model.arch else ""
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {', '.join(unexpected[:3])})")
        if wrong_shape:
            parts.append(f"{len(wrong_shape)} with another shape (e.g. {wrong_shape[0]}: "
                         f"{tuple(state[wrong_shape[0]].shape)} in the file, {tuple(expected[wrong_shape[0]].shape)} here)")
        raise UserError(f"$weights {path} does not fit {model.arch}: keys {'; '.join(parts)}.{hint} "
                        "Nothing was loaded.")
    head_keys = [k for k in expected if is_head(k)]
    head_fits = same_outputs and all(k in state and state[k].shape == expected[k].shape for k in head_keys)
    merged = {k: (state[k] if (not is_head(k) or head_fits) else v) for k, v in expected.items()}
    model.backbone.load_state_dict(merged, strict=True)
    source = " (torchxrayvision weights: one input channel scaled to [-1024, 1024])" if model.input_norm == "xrv" else ""
    if head_fits:
        return f"loaded all weights from {path}{source}, classifier head included"
    return (f"loaded backbone weights only from {path}{source}; classifier head ({', '.join(head_keys)}) left "
            f"randomly initialised because {other}")


# What a checkpoint must agree on with its run's config.json to be that run's model: the thresholds and
# metrics of a run belong to these outputs of this network, read at this size.
RUN_MODEL_FIELDS = {"arch": "architecture", "task": "task", "outputs": "outputs", "widths": "output size",
                    "image_size": "image size"}


def _describe(field: str, meta: dict) -> str:
    value = meta.get(field)
    if field == "widths" and isinstance(value, list):
        return f"{sum(value)} (logits per output {value})"
    return repr(value)


def load_run_model(path: str | Path, device: torch.device | str = "cpu",
                   expected: dict | None = None) -> tuple[CXRNet, dict]:
    """A trained cxrtrain model and its description, loaded strictly (every key, every shape).

    `expected` is the run's own description (config.json "model"): a checkpoint describing another
    architecture, other outputs or another output size is refused by name, because the run's thresholds
    would be applied to a model they were never chosen for. A checkpoint without a description (older
    files) is built as `expected` says and must match it key for key and shape for shape."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such checkpoint; has the run finished at least one epoch?")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # damaged or foreign file
        raise UserError(f"{path}: cannot read this checkpoint ({exc.__class__.__name__})") from None
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("model"), dict) or (
            "cxrtrain" not in checkpoint and expected is None):
        raise UserError(f"{path}: not a cxrtrain checkpoint (to start training from other weights use fit $weights)")
    meta = checkpoint.get("cxrtrain", expected)
    if expected is not None:
        differing = [f"{label} {_describe(field, meta)} in the checkpoint, {_describe(field, expected)} in config.json"
                     for field, label in RUN_MODEL_FIELDS.items() if meta.get(field) != expected.get(field)]
        if differing:
            raise UserError(f"{path} is not this run's model: " + "; ".join(differing)
                            + ". Put the run's own best.pt back, or use the run folder this checkpoint came from")
    model = CXRNet(meta["arch"], sum(meta["widths"]), meta.get("input", "imagenet"))
    expected_state, state = model.state_dict(), checkpoint["model"]
    missing = [k for k in expected_state if k not in state]
    unexpected = [k for k in state if k not in expected_state]
    wrong = [f"{k} {tuple(state[k].shape)} in the file, {tuple(expected_state[k].shape)} expected"
             for k in expected_state if k in state and state[k].shape != expected_state[k].shape]
    if missing or unexpected or wrong:
        guess = _guess_arch({k.removeprefix("backbone.") for k in state})
        hint = f" It looks like {guess} weights." if guess and guess != meta["arch"] else ""
        raise UserError(f"{path} does not match a {meta['arch']} with {sum(meta['widths'])} outputs: "
                        f"{len(missing)} missing keys {missing[:3]}, {len(unexpected)} unexpected {unexpected[:3]}, "
                        f"{len(wrong)} with another shape {wrong[:3]}; the file is damaged, was edited, or belongs "
                        f"to another run.{hint}")
    model.load_state_dict(state, strict=True)
    return model.to(device).eval(), meta
