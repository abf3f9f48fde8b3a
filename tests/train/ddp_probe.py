"""`cxrtrain` with plain SGD instead of Adam, for the DDP equivalence test.

Adam divides each update by the gradient's own magnitude, so float rounding in near-zero gradient
components (which differs with thread count alone) grows into visible weight differences; with
SGD the update is the gradient itself, so equal gradients give equal weights to float precision.
Run as a script, alone or under torchrun; the arguments are those of `cxrtrain`.
"""
import sys

import torch

from cxrtrain.training import fit as train
from cxrtrain.cli import main
from cxrtrain.model.optimisers import EpochSchedule


def sgd(self: train.Fit) -> None:
    """Plain SGD (no momentum: `--optimizer sgd` has Nesterov momentum, which amplifies ReLU-boundary
    rounding flips into weight noise above this test's tolerance)."""
    self.optimizer = torch.optim.SGD(self.model.parameters(), lr=self.opts.lr)
    self.schedule = EpochSchedule(self.optimizer, "none", self.opts.epochs, 0)
    self.scaler = torch.amp.GradScaler(self.ctx.device.type, enabled=self.amp)


if __name__ == "__main__":
    train.Fit.new_optimizer = sgd
    sys.exit(main(sys.argv[1:]))
