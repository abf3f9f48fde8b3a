"""Masked losses, class weights, probabilities, oversampling and the DDP-aware batch samplers."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cxrtrain.data.batches import EvalBatches, TrainBatches, oversample_weights
from cxrtrain.model.losses import TaskLoss, balanced_weights, probabilities


def test_masked_bce_counts_only_unmasked_cells():
    logits = torch.tensor([[2.0, -1.0], [0.5, 3.0], [-2.0, 0.0]])
    targets = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    mask = torch.tensor([[True, False], [True, True], [False, True]])
    total, count = TaskLoss("multilabel", [1, 1])(logits, targets, mask)
    expected = sum(F.binary_cross_entropy_with_logits(logits[i, j], targets[i, j])
                   for i, j in [(0, 0), (1, 0), (1, 1), (2, 1)])
    assert int(count) == 4
    assert float(total) == pytest.approx(float(expected), rel=1e-6)
    # a masked cell can hold anything: changing it does not move the loss
    targets[0, 1] = 1.0
    assert float(TaskLoss("multilabel", [1, 1])(logits, targets, mask)[0]) == pytest.approx(float(expected), rel=1e-6)


def test_balanced_weights_from_counts_and_their_effect():
    targets = np.array([[1, 0], [0, 0], [0, 1], [0, 0], [0, 0]], dtype=np.float32)
    mask = np.array([[1, 1], [1, 1], [1, 1], [1, 0], [0, 0]], dtype=bool)
    w = balanced_weights("multilabel", targets, mask, [1, 1])
    # column 0: 4 counted cells, 1 positive, 3 negative -> [4/(2*3), 4/(2*1)]
    assert w[0].tolist() == pytest.approx([4 / 6, 2.0])
    # column 1: 3 counted cells, 1 positive, 2 negative
    assert w[1].tolist() == pytest.approx([3 / 4, 1.5])
    logits = torch.zeros(5, 2)
    total, _ = TaskLoss("multilabel", [1, 1], w)(logits, torch.from_numpy(targets), torch.from_numpy(mask))
    log2 = float(np.log(2))
    assert float(total) == pytest.approx(log2 * (2.0 + 3 * 4 / 6 + 1.5 + 2 * 3 / 4), rel=1e-6)


def test_multiclass_and_three_way_heads():
    targets = np.array([[0], [1], [1], [2]], dtype=np.float32)
    mask = np.ones((4, 1), bool)
    w = balanced_weights("multiclass", targets, mask, [3])[0]
    assert w.tolist() == pytest.approx([4 / 3, 4 / 6, 4 / 3])
    logits = torch.randn(4, 3)
    total, count = TaskLoss("multiclass", [3], [w])(logits, torch.from_numpy(targets), torch.from_numpy(mask))
    assert float(total) == pytest.approx(float(F.cross_entropy(logits, torch.tensor([0, 1, 1, 2]), weight=w,
                                                               reduction="sum")), rel=1e-6)
    # U-MultiClass: positive probability = softmax over {negative, positive} only
    head = torch.tensor([[0.0, 2.0, 5.0, 1.0]])  # 3 logits for column 0, 1 logit for column 1
    probs = probabilities("multilabel", [3, 1], head)
    assert float(probs[0, 0]) == pytest.approx(np.exp(2) / (np.exp(0) + np.exp(2)), rel=1e-6)
    assert float(probs[0, 1]) == pytest.approx(1 / (1 + np.exp(-1)), rel=1e-6)
    total, count = TaskLoss("multilabel", [3, 1])(head, torch.tensor([[2.0, 1.0]]), torch.tensor([[True, False]]))
    assert int(count) == 1
    assert float(total) == pytest.approx(float(F.cross_entropy(head[:, :3], torch.tensor([2]))), rel=1e-6)


def test_oversampling_draws_rare_class_about_as_often_as_common():
    targets = np.zeros((100, 2), np.float32)
    targets[:10, 0] = 1      # rare: 10 images
    targets[10:60, 1] = 1    # common: 50 images; 40 images with no positive
    mask = np.ones_like(targets, bool)
    weights = oversample_weights("multilabel", targets, mask, [1, 1])
    sampler = TrainBatches(100, 20, seed=3, weights=weights)
    drawn = np.concatenate([np.concatenate(list(sampler)) for sampler.epoch in range(30)])
    share_rare = np.isin(drawn, np.arange(10)).mean()
    share_common = np.isin(drawn, np.arange(10, 60)).mean()
    assert 0.28 < share_rare < 0.39 and 0.28 < share_common < 0.39  # a third each, instead of 10% vs 50%
    plain = np.concatenate(list(TrainBatches(100, 20, seed=3)))
    assert sorted(plain.tolist()) == list(range(100))  # without weights: a permutation


def test_ranks_split_each_global_batch_exactly():
    single = list(TrainBatches(50, 8, seed=1))
    ranks = [list(TrainBatches(50, 8, seed=1, world=2, rank=r)) for r in (0, 1)]
    # 50 = 6 * 8 + 2: a last batch of two is kept for one process, dropped for two (one image each)
    assert len(single) == 7 and len(single[-1]) == 2
    assert len(ranks[0]) == len(ranks[1]) == 6 == len(TrainBatches(50, 8, seed=1, world=2))
    for step in range(6):
        assert sorted(ranks[0][step] + ranks[1][step]) == sorted(single[step])
    sampler = TrainBatches(50, 8, seed=1)
    sampler.set_epoch(1)
    assert list(sampler) != single  # a new order each epoch
    shards = [np.concatenate(list(EvalBatches(11, 4, world=2, rank=r))) for r in (0, 1)]
    assert sorted(np.concatenate(shards).tolist()) == list(range(11))
