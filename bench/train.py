"""Trainer benchmark: training and loading throughput (images/s).

Prints CPU training speed (resnet18 at 224 px, densenet121 at 320 px), decoding vs the memory-mapped
cache, and the real pipeline (memory-mapped cache -> --augment -> DataLoader -> model) against the same
model fed ready tensors: on CPU with resnet18 at 128 px, and on a CUDA machine with densenet121 at
320 px, AMP, channels_last, 4 workers and pinned memory (target ratio >= 0.9).
Run alone with `python -m bench.train`.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from cxrtrain.data.augment import build_augment
from cxrtrain.data.cache import build_pack
from cxrtrain.data.batches import CachedBatches, TrainBatches, make_loader
from cxrtrain.data.images import find_images, load_resized
from cxrtrain.model.losses import TaskLoss
from cxrtrain.model.networks import CXRNet

SHARED_CXR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "cxr"
N_OUTPUTS = 14


def train_step(model: CXRNet, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler, criterion: TaskLoss,
               images: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor, amp: bool) -> None:
    """One optimisation step exactly as cxrtrain fit takes it (one process)."""
    with torch.autocast(images.device.type, dtype=torch.float16, enabled=amp):
        logits = model(images)
    total, count = criterion(logits, targets, mask)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(total / count.clamp(min=1)).backward()
    scaler.step(optimizer)
    scaler.update()


def setup(arch: str, device: torch.device, amp: bool) -> tuple:
    torch.manual_seed(0)
    model = CXRNet(arch, N_OUTPUTS).to(device)
    if device.type == "cuda":
        model.channels_last = True
        model.to(memory_format=torch.channels_last)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler(device.type, enabled=amp)
    return model, optimizer, scaler, TaskLoss("multilabel", [1] * N_OUTPUTS).to(device)


def synthetic_rate(arch: str, size: int, batch: int, steps: int, warmup: int, device: torch.device, amp: bool) -> float:
    """Images/s of training on random uint8 batches that already sit on the device."""
    model, optimizer, scaler, criterion = setup(arch, device, amp)
    images = torch.randint(0, 256, (batch, 1, size, size), dtype=torch.uint8, device=device)
    targets = torch.randint(0, 2, (batch, N_OUTPUTS), device=device).float()
    mask = torch.ones_like(targets, dtype=torch.bool)
    for step in range(warmup + steps):
        if step == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        train_step(model, optimizer, scaler, criterion, images, targets, mask, amp)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def pipeline_rate(arch: str, pack, batch: int, steps: int, warmup: int, device: torch.device, amp: bool,
                  workers: int) -> float:
    """Images/s of training fed from the memory-mapped cache through --augment and the DataLoader, as fit does."""
    model, optimizer, scaler, criterion = setup(arch, device, amp)
    n = len(pack.ok)
    targets = np.random.default_rng(0).integers(0, 2, (n, N_OUTPUTS)).astype(np.float32)
    dataset = CachedBatches(pack, np.arange(n), targets, np.ones_like(targets, dtype=bool),
                            build_augment(pack.size, hflip=False), seed=0)
    sampler = TrainBatches(n, batch, seed=0)
    loader = make_loader(dataset, sampler, workers, device.type == "cuda")
    done, epoch, start = 0, 0, None
    while done < warmup + steps:
        sampler.set_epoch(epoch)
        for images, y, m, _ in loader:
            if done == warmup:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
            train_step(model, optimizer, scaler, criterion, images.to(device, non_blocking=True),
                       y.to(device, non_blocking=True), m.to(device, non_blocking=True), amp)
            done += 1
            if done == warmup + steps:
                break
        epoch += 1
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def loader_images(folder: Path) -> tuple[list[Path], str]:
    """The real radiographs when present, else generated 1024 px JPEGs with X-ray-like content."""
    if (SHARED_CXR / "images").is_dir():
        paths = find_images(SHARED_CXR / "images")
        if paths:
            return paths, f"{len(paths)} real images from {SHARED_CXR} (mixed JPEG/PNG, 224-4280 px)"
    rng = np.random.default_rng(0)
    paths = []
    yy, xx = np.mgrid[:1024, :1024]
    for i in range(64):
        body = 120 + 60 * np.cos((xx - 512) / 300.0) * np.cos((yy - 512) / 400.0)
        image = np.clip(body + rng.normal(0, 12, body.shape), 0, 255).astype(np.uint8)
        paths.append(folder / f"{i}.jpg")
        Image.fromarray(image).save(paths[-1], quality=90)
    return paths, "64 generated 1024x1024 grayscale JPEGs"


def main() -> None:
    torch.manual_seed(0)
    cpu = torch.device("cpu")
    print(f"cxrtrain benchmark: torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print("== CPU training (Adam, synthetic batches, after warm-up) ==")
    rate = synthetic_rate("resnet18", 224, batch=8, steps=3, warmup=1, device=cpu, amp=False)
    print(f"  resnet18    224 px, batch 8: {rate:7.2f} images/s")
    rate = synthetic_rate("densenet121", 320, batch=4, steps=2, warmup=1, device=cpu, amp=False)
    print(f"  densenet121 320 px, batch 4: {rate:7.2f} images/s")

    print("== loading at 320 px: decoding vs the memory-mapped cache ==")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths, what = loader_images(tmp)
        print(f"  images: {what}")
        start = time.perf_counter()
        for path in paths:
            load_resized(path, 320)
        decode = len(paths) / (time.perf_counter() - start)
        threads = min(8, os.cpu_count() or 1)
        start = time.perf_counter()
        pack = build_pack(paths, 320, tmp / "cache", workers=threads, progress=False)
        build = len(paths) / (time.perf_counter() - start)
        dataset = CachedBatches(pack, np.arange(len(paths)), np.zeros((len(paths), 1), np.float32),
                                np.ones((len(paths), 1), bool))
        loader = make_loader(dataset, TrainBatches(len(paths), 16, seed=0), workers=0, pin=False)
        start, seen = time.perf_counter(), 0
        for _ in range(20):
            for images, *_ in loader:
                seen += len(images)
        cached = seen / (time.perf_counter() - start)
        print(f"  decode + resize, 1 thread:            {decode:10.1f} images/s")
        print(f"  building the cache, {threads} threads:        {build:10.1f} images/s (once per image and size)")
        print(f"  batches from the memmap cache:         {cached:10.1f} images/s ({cached / decode:.0f}x decoding)")
        augmented = CachedBatches(pack, np.arange(len(paths)), np.zeros((len(paths), 1), np.float32),
                                  np.ones((len(paths), 1), bool), build_augment(320, hflip=False))
        threads_before = torch.get_num_threads()
        torch.set_num_threads(1)  # as in a DataLoader worker
        start = time.perf_counter()
        for first in range(0, len(paths), 16):
            augmented[list(range(first, min(first + 16, len(paths))))]
        rate = len(paths) / (time.perf_counter() - start)
        torch.set_num_threads(threads_before)
        print(f"  cache + --augment, one loader process:  {rate:10.1f} images/s (what one DataLoader worker feeds)")

        print("== real pipeline vs synthetic feed, CPU (resnet18, 128 px, batch 16, --augment, 1 worker) ==")
        small = build_pack(paths, 128, tmp / "cache", workers=threads, progress=False)
        synthetic = synthetic_rate("resnet18", 128, 16, steps=6, warmup=2, device=cpu, amp=False)
        full = pipeline_rate("resnet18", small, 16, steps=6, warmup=2, device=cpu, amp=False, workers=1)
        print(f"  tensors ready:               {synthetic:8.1f} images/s")
        print(f"  cache -> augment -> loader:  {full:8.1f} images/s")
        print(f"  pipeline / synthetic: {full / synthetic:.2f} (the loader worker shares the CPU with training here)")

        print("== GPU ==")
        if not torch.cuda.is_available():
            print("  skipped: torch.cuda.is_available() is False on this machine (no CUDA GPU); the AMP "
                  "densenet121 rate and the pipeline/synthetic ratio need one")
            return
        gpu = torch.device("cuda")
        print(f"  device: {torch.cuda.get_device_name(gpu)}")
        batch = 32
        if len(paths) < 4 * batch:  # enough distinct images for several batches per epoch
            paths = (paths * (4 * batch // len(paths) + 1))[:max(len(paths), 4 * batch)]
        pack = build_pack(paths, 320, tmp / "cache", workers=threads, progress=False)
        synthetic = synthetic_rate("densenet121", 320, batch, steps=30, warmup=5, device=gpu, amp=True)
        full = pipeline_rate("densenet121", pack, batch, steps=30, warmup=5, device=gpu, amp=True,
                             workers=min(4, os.cpu_count() or 1))
        print(f"  densenet121 320 px AMP, batch {batch}, tensors already on GPU: {synthetic:8.1f} images/s")
        print(f"  densenet121 320 px AMP, batch {batch}, full pipeline (cache -> loader -> GPU): {full:8.1f} images/s")
        print(f"  pipeline / synthetic: {full / synthetic:.2f} (target >= 0.9)")


if __name__ == "__main__":
    main()
