"""`cxrtrain evaluate`: metrics of a finished run, on its own splits or on another labelled table."""
from __future__ import annotations

import argparse

from .options import add_image_loading, add_run_and_device

EPILOG = """\
examples:
  cxrtrain evaluate --run runs/first
  cxrtrain evaluate --run runs/first --labels other_hospital.csv --images /data/other"""


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("evaluate", formatter_class=argparse.RawDescriptionHelpFormatter,
                            help="metrics of a finished run",
                            description="Score the run's best model on its own val/test splits, or on every row of "
                                        "another labelled table, with the thresholds chosen on validation.",
                            epilog=EPILOG)
    add_run_and_device(p)
    add_image_loading(p)
    p.add_argument("--labels", help="another label table to evaluate on (needs --images)")
    p.add_argument("--images", help="image folder of --labels")
    p.add_argument("--path-column", help="column of image paths in --labels (default: the run's)")
    p.add_argument("--id-column", help="column of ids in --labels, used with --image-pattern")
    p.add_argument("--image-pattern", help="file name made from the id, e.g. '{id}.png'")
    p.add_argument("-o", "--output", help="JSON report (default: RUN/evaluation.json; - for standard output)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..evaluation.evaluate import evaluate

    evaluate(args.run_folder, args.labels, args.images, output=args.output, path_column=args.path_column,
             id_column=args.id_column, image_pattern=args.image_pattern, device=args.device,
             cache_dir=args.cache_dir, workers=args.workers, ensemble=args.ensemble, tta=args.tta)
    return 0
