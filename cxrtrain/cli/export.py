"""`cxrtrain export`: the run's best model, preprocessing and calibration inside, as one file."""
from __future__ import annotations

import argparse

from ..settings import FORMATS
from .options import add_run_and_device

EPILOG = """\
examples:
  cxrtrain export --run runs/first -o model.ts
  cxrtrain export --run runs/first -o model.onnx                 # ONNX, by its name (onnx extra)
  cxrtrain predict --model model.ts --images /data/new -o predictions.csv"""


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("export", formatter_class=argparse.RawDescriptionHelpFormatter,
                            help="the best model as one TorchScript or ONNX file",
                            description="Write the run's best model with its preprocessing and calibration inside: "
                                        "input a uint8 grayscale batch (N, H, W) at the run's image size, output "
                                        "calibrated probabilities per output. The outputs, size and thresholds are "
                                        "stored in the file.",
                            epilog=EPILOG)
    add_run_and_device(p)
    p.add_argument("-o", "--output", required=True, help="file to write (an earlier export may be replaced, "
                                                         "nothing else)")
    p.add_argument("--format", dest="fmt", choices=FORMATS,
                   help="default: from the file name (.onnx is ONNX; .ts, .pt and any other name TorchScript); a "
                        "format the name contradicts is refused")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..inference.export import export

    export(args.run_folder, args.output, args.fmt, device=args.device)
    return 0
