"""Uncertainty policies (Irvin et al., CheXpert, 2019): what an uncertain (-1) label trains as.

All functions are pure: label values in (1, 0, -1, NaN = blank), targets and loss mask out.
For U-MultiClass columns the target is a class index: 0 negative, 1 positive, 2 uncertain.
"""
from __future__ import annotations

import numpy as np

from ..errors import OptionError
from .labels import split_names
from ..settings import BLANK_MODES, POLICIES

MULTICLASS_NEGATIVE, MULTICLASS_POSITIVE, MULTICLASS_UNCERTAIN = 0, 1, 2


def parse_policies(default: str, per_observation: str | None, observations: list[str]) -> list[str]:
    """One policy per observation: the default, overridden by 'Edema=u-ones,Cardiomegaly=u-multiclass' (an item
    whose name has a comma in double quotes: '"Effusion, left=u-ones"')."""
    if default not in POLICIES:
        raise OptionError("policy", default, f"unknown; choose one of {', '.join(POLICIES)}")
    policies = {name: default for name in observations}
    for item in split_names(per_observation or ""):
        name, sep, policy = item.partition("=")
        name, policy = name.strip(), policy.strip()
        if not sep:
            raise OptionError("policy_per_observation", per_observation, f"item {item!r} must look like 'Edema=u-ones'")
        if name not in policies:
            raise OptionError("policy_per_observation", per_observation, f"names {name!r}, which is not an observation "
                              f"being trained; the observations are: {', '.join(observations)}")
        if policy not in POLICIES:
            raise OptionError("policy_per_observation", per_observation, f"{name}={policy}: unknown policy; "
                              f"choose one of {', '.join(POLICIES)}")
        policies[name] = policy
    return [policies[name] for name in observations]


def head_widths(policies: list[str]) -> list[int]:
    """Logits per observation: three for U-MultiClass (negative, positive, uncertain), else one."""
    return [3 if p == "u-multiclass" else 1 for p in policies]


def apply_policies(values: np.ndarray, policies: list[str], blank: str = "zero") -> tuple[np.ndarray, np.ndarray]:
    """Targets and loss mask for each cell. U-SelfTrained trains first as U-Ignore (see relabel_uncertain).

    Blank means "not mentioned": negative under --blank zero (CheXpert), masked under --blank ignore.
    """
    if blank not in BLANK_MODES:
        raise OptionError("blank", blank, f"unknown; choose {' or '.join(BLANK_MODES)}")
    values = np.asarray(values, dtype=np.float32)
    if values.ndim != 2 or values.shape[1] != len(policies):
        raise ValueError(f"values {values.shape} do not match {len(policies)} policies")
    targets = np.zeros(values.shape, dtype=np.float32)
    mask = np.ones(values.shape, dtype=bool)
    blank_cells = np.isnan(values)
    for j, policy in enumerate(policies):
        column = values[:, j]
        positive, negative, uncertain = column == 1, column == 0, column == -1
        if policy == "u-multiclass":
            targets[positive, j] = MULTICLASS_POSITIVE
            targets[negative, j] = MULTICLASS_NEGATIVE
            targets[uncertain, j] = MULTICLASS_UNCERTAIN
        else:
            targets[positive, j] = 1.0
            if policy == "u-ones":
                targets[uncertain, j] = 1.0
            elif policy in ("u-ignore", "u-selftrained"):
                mask[uncertain, j] = False
        if blank == "ignore":
            mask[blank_cells[:, j], j] = False
    return targets, mask


def positive_cells(task: str, targets: np.ndarray, mask: np.ndarray, widths: list[int]) -> np.ndarray:
    """Boolean (rows, outputs): the cell counts as a positive example (used for weights and sampling)."""
    if task == "multiclass":
        n_classes = widths[0]
        out = np.zeros((len(targets), n_classes), dtype=bool)
        rows = np.flatnonzero(mask[:, 0])
        out[rows, targets[rows, 0].astype(int)] = True
        return out
    return mask & np.where(np.array(widths) == 3, targets == 1, targets >= 0.5)


def relabel_uncertain(targets: np.ndarray, mask: np.ndarray, values: np.ndarray, policies: list[str],
                      probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """U-SelfTrained second stage: uncertain cells of U-SelfTrained columns take the first model's
    predicted probability as a soft target and join the loss; every other cell is unchanged."""
    targets, mask = targets.copy(), mask.copy()
    for j, policy in enumerate(policies):
        if policy != "u-selftrained":
            continue
        uncertain = values[:, j] == -1
        targets[uncertain, j] = probabilities[uncertain, j]
        mask[uncertain, j] = True
    return targets, mask
