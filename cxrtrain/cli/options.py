"""Options and argument types that several cxrtrain commands share.

An option name means one thing in both tools: `cxrlabel --workers` counts labelling processes, so the
image loaders are `--loader-workers` here (`--workers` stays as a hidden alias, same destination).
"""
from __future__ import annotations

import argparse

from ..settings import DEVICES

CACHE_HELP = "where resized images are cached (default $CXRTRAIN_CACHE or ~/.cache/cxrtrain)"


def comma_list(text: str) -> list[str]:
    """Names separated by commas; a name with a comma in double quotes ('Edema,"Effusion, left"')."""
    from ..data.labels import split_names  # pandas: only once such an option is given

    items = split_names(text)
    if not items:
        raise argparse.ArgumentTypeError("expected names separated by commas, e.g. 'Edema,Cardiomegaly'")
    return items


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def add_device(parser: argparse.ArgumentParser | argparse._ArgumentGroup, default: str | None = "auto") -> None:
    """--device; fit's defaults to None, so that --resume can tell whether it was given."""
    parser.add_argument("--device", default=default, choices=DEVICES,
                        help="default auto: CUDA when available")


def add_loader_workers(parser: argparse.ArgumentParser | argparse._ArgumentGroup, default: int | None,
                       help: str) -> None:
    """--loader-workers, and --workers, its hidden older name (same destination, `workers`)."""
    parser.add_argument("--loader-workers", dest="workers", type=int, default=default, metavar="N", help=help)
    parser.add_argument("--workers", dest="workers", type=int, default=default, help=argparse.SUPPRESS)


def add_image_loading(parser: argparse.ArgumentParser) -> None:
    """How evaluate and predict read images: the way fit does, optionally through the ensemble or TTA."""
    parser.add_argument("--cache-dir", help=CACHE_HELP)
    add_loader_workers(parser, 0, "image decoding threads and DataLoader worker processes (default: 0)")
    parser.add_argument("--ensemble", action="store_true",
                        help="average the top checkpoints kept by fit --keep-top, with their own temperatures and "
                             "thresholds (ensemble.json)")
    parser.add_argument("--tta", action="store_true",
                        help="average over 6 fixed views: the image, its centre and four corners at 90%% of the side; "
                             "thresholds and temperatures stay those chosen without TTA")


def add_run_and_device(parser: argparse.ArgumentParser) -> None:
    """--run (required) and --device, for the commands that use a finished run: evaluate, export, cam."""
    parser.add_argument("--run", dest="run_folder", metavar="RUN", required=True, help="run folder made by cxrtrain fit")
    add_device(parser)
