"""`cxrtrain predict`: probabilities and thresholded labels for every image in a folder."""
from __future__ import annotations

import argparse

from .options import add_device, add_image_loading

EPILOG = """\
examples:
  cxrtrain predict --run runs/first --images /data/new -o predictions.csv
  cxrtrain predict --model model.ts --images /data/new -o predictions.csv"""


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("predict", formatter_class=argparse.RawDescriptionHelpFormatter,
                            help="predict every image in a folder",
                            description="Write one row per image: a calibrated probability and a 0/1 label per "
                                        "output (threshold from validation); unreadable images get an error instead.",
                            epilog=EPILOG)
    add_image_loading(p)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", dest="run_folder", metavar="RUN", help="run folder made by cxrtrain fit")
    source.add_argument("--model", help="a file written by cxrtrain export (TorchScript, or ONNX with the onnx extra)")
    add_device(p)
    p.add_argument("--images", required=True, help="folder searched recursively for images, or one image file")
    p.add_argument("-o", "--output", required=True, help="CSV to write (- for standard output)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..inference.predict import predict

    predict(args.run_folder, args.images, args.output, model=args.model, device=args.device, cache_dir=args.cache_dir,
            workers=args.workers, ensemble=args.ensemble, tta=args.tta)
    return 0
