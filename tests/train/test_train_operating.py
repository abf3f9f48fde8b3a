"""Operating points, bootstrap intervals, calibration, augmentation and schedules, on inputs with known answers."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from cxrlabel.errors import UserError
from cxrtrain.data.augment import augment_batch, build_augment
from cxrtrain.evaluation.calibration import fit_temperatures
from cxrtrain.evaluation.metrics import bootstrap_auc, calibration_error, choose_threshold, parse_operating_point
from cxrtrain.model.optimisers import EpochSchedule, build_optimizer


def test_operating_points_on_a_known_ranking():
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    youden = choose_threshold(y, p, "youden")
    # J = 0.75 at 0.6 (sensitivity 3/4, specificity 1) and at 0.4 (1, 3/4); every other cut is lower
    assert youden["threshold"] in (0.4, 0.6) and youden["rule"] == "youden"
    sens = choose_threshold(y, p, "sens=1.0")
    assert sens["threshold"] == pytest.approx(0.4)  # the highest cut that still finds every positive
    assert set(sens["by_rule"]) == {"f1", "youden", "sens=1"}
    with pytest.raises(UserError, match="choose f1, youden or sens=X"):
        parse_operating_point("sens=high")


def test_f1_at_high_prevalence_says_it_calls_everything_positive():
    y = np.array([1] * 18 + [0] * 2)
    p = np.r_[np.linspace(0.3, 0.9, 18), [0.5, 0.6]]
    f1 = choose_threshold(y, p, "f1")
    assert "calls every validation image positive" in f1["note"]
    assert choose_threshold(y, p, "youden")["threshold"] > p.min()  # Youden keeps some specificity


def test_bootstrap_interval_holds_the_auc_and_is_repeatable():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    p = np.clip(y * 0.3 + rng.normal(0.35, 0.2, 200), 0, 1)
    low, high = bootstrap_auc(y, p)
    assert low < roc_auc_score(y, p) < high and high - low < 0.2
    assert bootstrap_auc(y, p) == [low, high]
    assert bootstrap_auc(np.array([1, 1, 0]), np.array([0.9, 0.8, 0.1]), samples=200) is not None


def test_temperature_scaling_recovers_an_overconfident_model():
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 1.5, 4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-true_logits))).astype(np.float32)
    overconfident = (true_logits * 3).astype(np.float32)[:, None]  # the model's scores are 3x too large
    (t,), notes = fit_temperatures("multilabel", [1], ["A"], overconfident, y[:, None], "zero")
    assert t == pytest.approx(3, rel=0.1) and notes == []
    before = calibration_error(y, 1 / (1 + np.exp(-overconfident[:, 0])))
    after = calibration_error(y, 1 / (1 + np.exp(-overconfident[:, 0] / t)))
    assert after < before / 2
    (one,), notes = fit_temperatures("multilabel", [1], ["A"], overconfident[:5], np.ones((5, 1), np.float32), "zero")
    assert one == 1.0 and "one class only" in notes[0]


def test_augment_is_uint8_per_image_and_repeatable():
    images = torch.randint(0, 256, (4, 1, 32, 32), dtype=torch.uint8)
    transform = build_augment(32, hflip=False)
    a = augment_batch(transform, images, np.array([0, 1, 2, 3]), seed=0)
    assert a.dtype == torch.uint8 and a.shape == images.shape
    assert torch.equal(a, augment_batch(transform, images, np.array([0, 1, 2, 3]), seed=0))  # same batch, same draw
    assert not torch.equal(a, augment_batch(transform, images, np.array([3, 2, 1, 0]), seed=0))
    assert not torch.equal(a[0], a[1]) and not torch.equal(a, images)
    state = torch.get_rng_state()
    augment_batch(transform, images, np.array([5]), seed=0)
    assert torch.equal(state, torch.get_rng_state())  # the trainer's random stream is untouched
    assert not any("HorizontalFlip" in type(t).__name__ for t in transform.transforms)
    assert any("HorizontalFlip" in type(t).__name__ for t in build_augment(32, hflip=True).transforms)


@pytest.mark.parametrize("name,expected", [
    ("cosine", [0.1, 0.55, 1.0, 0.853553, 0.5]),  # 2 warm-up epochs from lr/10, then a half cosine over 4
    ("step", [0.1, 0.55, 1.0, 0.1, 0.01]),     # tenfold down every third of the remaining 4 epochs (1)
    ("none", [0.1, 0.55, 1.0, 1.0, 1.0]),
])
def test_schedules_with_warmup(name, expected):
    optimizer = build_optimizer("sgd", [torch.nn.Parameter(torch.zeros(1))], lr=1.0, weight_decay=0.0)
    schedule = EpochSchedule(optimizer, name, epochs=6, warmup_epochs=2)
    seen = []
    for _ in range(5):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step(0.0)
    np.testing.assert_allclose(seen, expected, atol=1e-6)


def test_plateau_lowers_the_rate_when_the_metric_stalls_and_resumes_exactly():
    optimizer = build_optimizer("adamw", [torch.nn.Parameter(torch.zeros(1))], lr=1.0, weight_decay=0.01)
    schedule = EpochSchedule(optimizer, "plateau", epochs=10, warmup_epochs=0)
    for metric in (1.0, 0.9, 0.9, 0.9):
        schedule.step(metric)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
    again = build_optimizer("adamw", [torch.nn.Parameter(torch.zeros(1))], lr=1.0, weight_decay=0.01)
    restored = EpochSchedule(again, "plateau", epochs=10, warmup_epochs=0)
    restored.load_state_dict(schedule.state_dict())
    again.load_state_dict(optimizer.state_dict())
    for s, o in ((schedule, optimizer), (restored, again)):
        s.step(0.9), s.step(0.9)
    assert again.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"] == pytest.approx(0.01)
