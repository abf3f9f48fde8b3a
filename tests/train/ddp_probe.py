"""`cxrtrain` with plain SGD instead of Adam, for the DDP equivalence test.

Adam divides each update by the gradient's own magnitude, so float rounding in near-zero gradient
components (which differs with thread count alone) grows into visible weight differences; with
SGD the update is the gradient itself, so equal gradients give equal weights to float precision.
Run as a script, alone or under torchrun; the arguments are those of `cxrtrain`.
"""
import sys
from collections.abc import Iterable

import torch

from cxrtrain.cli import main
from cxrtrain.training import loop


def sgd(name: str, params: Iterable[torch.nn.Parameter], lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """Plain SGD (no momentum: `--optimizer sgd` has Nesterov momentum, which amplifies ReLU-boundary
    rounding flips into weight noise above this test's tolerance)."""
    return torch.optim.SGD(params, lr=lr)


if __name__ == "__main__":
    loop.build_optimizer = sgd  # every optimiser fit makes (the schedule stays the default, none)
    sys.exit(main(sys.argv[1:]))
