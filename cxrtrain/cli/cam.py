"""`cxrtrain cam`: Grad-CAM heat maps over the images, showing where a prediction's evidence lies."""
from __future__ import annotations

import argparse

from .options import add_run_and_device


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("cam", formatter_class=argparse.RawDescriptionHelpFormatter,
                            help="Grad-CAM heat maps",
                            description="Overlay a Grad-CAM heat map of the most probable output (or --observation) "
                                        "on each image.",
                            epilog="example:\n  cxrtrain cam --run runs/first a.png b.dcm --out cams/")
    add_run_and_device(p)
    p.add_argument("image", nargs="+", help="images to explain")
    p.add_argument("--out", required=True, help="folder for the PNGs: a new or empty one, or one cam made before")
    p.add_argument("--observation", help="explain this output instead of the most probable one")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..inference.cam import cam

    cam(args.run_folder, args.image, args.out, observation=args.observation, device=args.device)
    return 0
