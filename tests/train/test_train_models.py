"""Backbones, checkpoint round trip, and strict weight loading with clear errors."""
from __future__ import annotations

import re

import pytest
import torch
from torchvision import models as tvm

from cxrlabel.errors import UserError
from cxrtrain.model.networks import ARCHS, CXRNet, load_initial_weights, load_run_model, weights_input_norm


@pytest.mark.parametrize("arch", ARCHS)
def test_every_arch_maps_grayscale_uint8_to_outputs(arch):
    model = CXRNet(arch, 5).eval()
    size = 80 if arch == "inception_v3" else 64
    with torch.no_grad():
        out = model(torch.randint(0, 256, (2, 1, size, size), dtype=torch.uint8))
    assert out.shape == (2, 5)


def test_imagenet_style_state_dict_loads_all_but_the_named_head(tmp_path):
    source = tvm.resnet18(weights=None)
    torch.save(source.state_dict(), tmp_path / "imagenet.pth")
    model = CXRNet("resnet18", 3)
    message = load_initial_weights(model, tmp_path / "imagenet.pth")
    assert "classifier head (fc.weight, fc.bias) left randomly initialised" in message
    assert torch.equal(model.backbone.layer4[1].conv2.weight, source.layer4[1].conv2.weight)
    assert model.backbone.fc.weight.shape == (3, 512)


def test_missing_keys_and_wrong_arch_are_errors_and_load_nothing(tmp_path):
    state = tvm.resnet18(weights=None).state_dict()
    del state["layer2.0.conv1.weight"]
    torch.save(state, tmp_path / "partial.pth")
    model = CXRNet("resnet18", 2)
    before = model.backbone.conv1.weight.clone()
    with pytest.raises(UserError, match=r"1 missing \(e\.g\. layer2\.0\.conv1\.weight\).*Nothing was loaded"):
        load_initial_weights(model, tmp_path / "partial.pth")
    assert torch.equal(model.backbone.conv1.weight, before)
    torch.save(tvm.densenet121(weights=None).state_dict(), tmp_path / "densenet.pth")
    with pytest.raises(UserError, match="looks like densenet121 weights: pass arch densenet121"):
        load_initial_weights(CXRNet("resnet18", 2), tmp_path / "densenet.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match="cannot read it as a PyTorch weights file"):
        load_initial_weights(model, tmp_path / "junk.pth")


def test_old_style_densenet_keys_and_ddp_prefix_are_understood(tmp_path):
    state = tvm.densenet121(weights=None).state_dict()
    old = {"module." + re.sub(r"(denselayer\d+\.(?:norm|relu|conv))([12])\.", r"\1.\2.", k): v for k, v in state.items()}
    assert any(".norm.1." in k for k in old)
    torch.save({"state_dict": old}, tmp_path / "old.pth")
    model = CXRNet("densenet121", 4)
    load_initial_weights(model, tmp_path / "old.pth")
    assert torch.equal(model.backbone.features.denseblock1.denselayer1.norm1.weight,
                       state["features.denseblock1.denselayer1.norm1.weight"])


def test_checkpoint_round_trip_and_tampering(tmp_path):
    model = CXRNet("resnet18", 4).eval()
    meta = {"arch": "resnet18", "widths": [1, 3], "outputs": ["A", "B"], "task": "multilabel", "image_size": 64}
    torch.save({"cxrtrain": meta, "model": model.state_dict()}, tmp_path / "best.pt")
    loaded, loaded_meta = load_run_model(tmp_path / "best.pt")
    x = torch.randint(0, 256, (3, 1, 64, 64), dtype=torch.uint8)
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x))
    assert loaded_meta == meta
    # as --weights: the same arch loads fully, another arch is refused by name
    assert "classifier head included" in load_initial_weights(CXRNet("resnet18", 4), tmp_path / "best.pt")
    with pytest.raises(UserError, match="checkpoint of a resnet18 model, but arch is densenet121"):
        load_initial_weights(CXRNet("densenet121", 4), tmp_path / "best.pt")
    # a new set of outputs keeps the backbone and says the head was not loaded
    assert "left randomly initialised" in load_initial_weights(CXRNet("resnet18", 7), tmp_path / "best.pt")
    state = model.state_dict()
    del state["backbone.layer3.0.bn1.weight"]
    torch.save({"cxrtrain": meta, "model": state}, tmp_path / "broken.pt")
    with pytest.raises(UserError, match=r"1 missing keys \['backbone\.layer3\.0\.bn1\.weight'\]"):
        load_run_model(tmp_path / "broken.pt")


def test_checkpoint_of_other_observations_gives_its_backbone_only(tmp_path):
    source = CXRNet("resnet18", 2)
    torch.save({"cxrtrain": {"arch": "resnet18", "outputs": ["Edema", "Cardiomegaly"], "widths": [1, 1]},
                "model": source.state_dict()}, tmp_path / "best.pt")
    model = CXRNet("resnet18", 2)  # same shape, other names: the head would predict the wrong findings
    message = load_initial_weights(model, tmp_path / "best.pt", ["Pneumonia", "Atelectasis"])
    assert "backbone weights only" in message and "predicts Edema, Cardiomegaly, not Pneumonia, Atelectasis" in message
    assert torch.equal(model.backbone.layer1[0].conv1.weight, source.backbone.layer1[0].conv1.weight)
    assert not torch.equal(model.backbone.fc.weight, source.backbone.fc.weight)
    same = CXRNet("resnet18", 2)
    assert "classifier head included" in load_initial_weights(same, tmp_path / "best.pt", ["Edema", "Cardiomegaly"])
    assert torch.equal(same.backbone.fc.weight, source.backbone.fc.weight)


def _xrv_densenet_state() -> dict:
    """A state dict shaped like torchxrayvision's DenseNet: one-channel conv0, 18 outputs, op_threshs."""
    net = tvm.densenet121(weights=None, num_classes=18)
    net.features.conv0 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    return {**net.eval().state_dict(), "op_threshs": torch.rand(18)}, net


def test_torchxrayvision_densenet_state_dict_keeps_its_input(tmp_path):
    state, reference = _xrv_densenet_state()
    torch.save(state, tmp_path / "xrv.pt")
    assert weights_input_norm(tmp_path / "xrv.pt", "densenet121") == "xrv"
    model = CXRNet("densenet121", 3, "xrv")
    assert "torchxrayvision weights" in load_initial_weights(model, tmp_path / "xrv.pt", ["A", "B", "C"])
    assert model.eval()(torch.zeros(1, 1, 64, 64, dtype=torch.uint8)).shape == (1, 3)
    # from the uint8 batch to the pooled features, exactly torchxrayvision's network on its own input scaling
    model.backbone.classifier = reference.classifier = torch.nn.Identity()
    images = torch.randint(0, 256, (2, 1, 64, 64), dtype=torch.uint8)
    with torch.no_grad():
        assert torch.allclose(model.eval()(images), reference(images.float() / 255 * 2048 - 1024), atol=1e-5)


def test_torchxrayvision_resnet_state_dict_is_unwrapped(tmp_path):
    net = tvm.resnet50(weights=None, num_classes=18)
    net.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    torch.save({f"model.{k}": v for k, v in net.state_dict().items()}, tmp_path / "xrv_resnet.pt")
    assert weights_input_norm(tmp_path / "xrv_resnet.pt", "resnet50") == "xrv"
    model = CXRNet("resnet50", 2, "xrv")
    load_initial_weights(model, tmp_path / "xrv_resnet.pt", ["A", "B"])
    assert torch.equal(model.backbone.conv1.weight, net.conv1.weight)
    with pytest.raises(UserError, match="torchxrayvision weights fit densenet121 and resnet50 only"):
        CXRNet("vgg16", 2, "xrv")
