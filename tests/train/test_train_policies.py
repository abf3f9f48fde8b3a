"""Uncertainty policies, cell by cell: label values 1, 0, -1, blank under both --blank modes."""
from __future__ import annotations

import numpy as np
import pytest

from cxrlabel.errors import UserError
from cxrtrain.errors import OptionError
from cxrtrain.data.policies import apply_policies, head_widths, parse_policies, relabel_uncertain

NAN = float("nan")
VALUES = [1.0, 0.0, -1.0, NAN]  # positive, negative, uncertain, blank
T, F = True, False

# policy, blank mode -> (targets for 1, 0, -1, blank), (mask for 1, 0, -1, blank)
TABLE = {
    ("u-ignore", "zero"): ([1, 0, 0, 0], [T, T, F, T]),
    ("u-ignore", "ignore"): ([1, 0, 0, 0], [T, T, F, F]),
    ("u-zeros", "zero"): ([1, 0, 0, 0], [T, T, T, T]),
    ("u-zeros", "ignore"): ([1, 0, 0, 0], [T, T, T, F]),
    ("u-ones", "zero"): ([1, 0, 1, 0], [T, T, T, T]),
    ("u-ones", "ignore"): ([1, 0, 1, 0], [T, T, T, F]),
    # first stage of self-training is U-Ignore
    ("u-selftrained", "zero"): ([1, 0, 0, 0], [T, T, F, T]),
    ("u-selftrained", "ignore"): ([1, 0, 0, 0], [T, T, F, F]),
    # class indices: 0 negative, 1 positive, 2 uncertain
    ("u-multiclass", "zero"): ([1, 0, 2, 0], [T, T, T, T]),
    ("u-multiclass", "ignore"): ([1, 0, 2, 0], [T, T, T, F]),
}


@pytest.mark.parametrize("policy,blank", sorted(TABLE))
def test_policy_table_cell_by_cell(policy, blank):
    targets, mask = apply_policies(np.array(VALUES, dtype=np.float32)[:, None], [policy], blank)
    want_targets, want_mask = TABLE[(policy, blank)]
    assert targets[:, 0].tolist() == want_targets
    assert mask[:, 0].tolist() == want_mask


def test_policies_apply_per_column():
    values = np.array([[1, -1, -1], [-1, 0, NAN], [NAN, -1, 1]], dtype=np.float32)
    targets, mask = apply_policies(values, ["u-ones", "u-zeros", "u-multiclass"], "ignore")
    assert targets.tolist() == [[1, 0, 2], [1, 0, 0], [0, 0, 1]]
    assert mask.tolist() == [[T, T, T], [T, T, F], [F, T, T]]


def test_parse_policies_overrides_and_errors():
    observations = ["Edema", "Cardiomegaly", "Atelectasis"]
    assert parse_policies("u-ignore", "Edema=u-ones, Cardiomegaly=u-multiclass", observations) == [
        "u-ones", "u-multiclass", "u-ignore"]
    assert head_widths(["u-ones", "u-multiclass", "u-ignore"]) == [1, 3, 1]
    with pytest.raises(UserError, match="not an observation being trained"):
        parse_policies("u-ignore", "Fracture=u-ones", observations)
    with pytest.raises(UserError, match="unknown policy"):
        parse_policies("u-ignore", "Edema=u-maybe", observations)
    with pytest.raises(UserError, match="must look like"):
        parse_policies("u-ignore", "Edema", observations)
    with pytest.raises(OptionError, match="policy u-twos: unknown") as raised:
        parse_policies("u-twos", None, observations)
    assert (raised.value.option, raised.value.value) == ("policy", "u-twos")  # the command words it as --policy


def test_selftrained_relabels_only_uncertain_cells_of_selftrained_columns():
    values = np.array([[-1, -1], [1, -1], [0, NAN]], dtype=np.float32)
    policies = ["u-selftrained", "u-ignore"]
    targets, mask = apply_policies(values, policies, "zero")
    probs = np.array([[0.7, 0.9], [0.2, 0.4], [0.6, 0.1]], dtype=np.float32)
    new_targets, new_mask = relabel_uncertain(targets, mask, values, policies, probs)
    assert new_targets[:, 0].tolist() == pytest.approx([0.7, 1.0, 0.0])  # only the -1 cell took the probability
    assert new_mask[:, 0].tolist() == [T, T, T]
    assert new_targets[:, 1].tolist() == targets[:, 1].tolist()  # U-Ignore column unchanged
    assert new_mask[:, 1].tolist() == [F, F, T]
    assert mask[:, 0].tolist() == [F, T, T]  # inputs not modified
