"""The `cxrtrain` command: fit, evaluate, predict, cam."""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import fields
from pathlib import Path

from cxrlabel.errors import UserError

from .models import ARCHS
from .uncertainty_policy import POLICIES

FIT_EPILOG = """\
examples:
  # CheXpert recipe (DenseNet-121, 320 px, Adam 1e-4, batch 20, 15 epochs) on cxrlabel's output;
  # the image column and the patient column are found by name, observations are every 1/0/-1 column
  cxrtrain fit --labels labels.csv --images /data/cxr --out runs/densenet

  # images named after an id column, uncertain labels as positives, two observations per policy
  cxrtrain fit --labels labels.csv --images /data/png --id-column id --image-pattern '{id}.png' \\
      --out runs/uones --policy u-ones --policy-per-observation 'Cardiomegaly=u-multiclass'

  # a quick CPU check: small model, small images, 2 epochs
  cxrtrain fit --labels labels.csv --images /data/cxr --out runs/smoke --arch resnet18 --image-size 128 --epochs 2

  # continue after a crash or kill, from the last finished epoch
  cxrtrain fit --labels labels.csv --images /data/cxr --out runs/densenet --resume

  # 4 GPUs (or 2 CPU processes): every process runs the same command
  torchrun --standalone --nproc_per_node 4 -m cxrtrain fit --labels labels.csv --images /data/cxr --out runs/ddp --amp

uncertainty policies (what a -1 label trains as): u-ignore masks it; u-zeros makes it 0; u-ones makes
it 1; u-selftrained trains with u-ignore, relabels -1 with that model's probabilities, trains again;
u-multiclass learns negative/positive/uncertain and scores softmax over {negative, positive}.
Blank cells are negatives (--blank zero, CheXpert) or masked (--blank ignore, torchxrayvision).

No weights are ever downloaded: without --weights the network starts from random initialisation.
The run folder gets config.json, split.csv, skipped_images.csv, history.csv, best.pt, last.pt,
thresholds.json, metrics.json and ROC curves (roc_val.png, roc_test.png).
"""

EPILOG = """\
commands:
  fit        train a model on a label CSV and an image folder (cxrtrain fit --help)
  evaluate   metrics of a finished run, on its test split or on another labelled table
  predict    probabilities and thresholded labels for every image in a folder
  cam        Grad-CAM heat maps showing where the evidence for a prediction is

example:
  cxrtrain fit --labels labels.csv --images /data/cxr --out runs/first
  cxrtrain evaluate --run runs/first
  cxrtrain predict --run runs/first --images /data/new -o predictions.csv
  cxrtrain cam --run runs/first /data/new/a.png /data/new/b.png --out cams/
"""


def _comma_list(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected names separated by commas, e.g. 'Edema,Cardiomegaly'")
    return items


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {value}")
    return value


def _add_fit(commands: argparse._SubParsersAction) -> None:
    # Options default to None so that --resume can tell "given" from "not given" and reuse the saved run's.
    from .train import MIN_CLASS_TRAIN_IMAGES, FitOptions

    d = {f.name: f.default for f in fields(FitOptions)}
    p = commands.add_parser("fit", help="train a classifier", epilog=FIT_EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter,
                            description="Train a chest X-ray classifier on a cxrlabel label table.")
    data = p.add_argument_group("data")
    data.add_argument("--labels", required=True, help="label table (CSV, JSONL or Parquet) from cxrlabel")
    data.add_argument("--images", required=True, help="folder the image paths are relative to")
    data.add_argument("--out", required=True, help="run folder to create, or an empty one (or continue with --resume)")
    data.add_argument("--path-column", help="column with image paths (default: found by name, e.g. Path, image_path)")
    data.add_argument("--id-column", help="column with image ids, combined with --image-pattern")
    data.add_argument("--image-pattern", help="file name from the id, e.g. '{id}.png' (default: any image named <id>.*)")
    data.add_argument("--encoding", help="text encoding of the label CSV (default: detected)")
    labels = p.add_argument_group("labels")
    labels.add_argument("--observations", type=_comma_list,
                        help="observation columns to learn, comma-separated (default: every 1/0/-1 column)")
    labels.add_argument("--task", choices=("multilabel", "multiclass", "binary"),
                        help=f"multilabel: one sigmoid per observation; multiclass: one softmax over the labels of "
                             f"single-label images (each class needs at least {MIN_CLASS_TRAIN_IMAGES} in the "
                             f"training split and 1 in validation); binary: normal vs abnormal (default {d['task']})")
    labels.add_argument("--policy", choices=POLICIES, help=f"uncertainty policy for -1 labels (default {d['policy']})")
    labels.add_argument("--policy-per-observation", metavar="OBS=POLICY,...",
                        help="per-observation policies, e.g. 'Edema=u-ones,Cardiomegaly=u-multiclass'")
    labels.add_argument("--blank", choices=("zero", "ignore"), help="blank label cells: negative or masked (default zero)")
    split = p.add_argument_group("split")
    split.add_argument("--split-column", help="patient id column; no patient is in two splits "
                                              "(default: found by name, e.g. patient_id, PatientID)")
    split.add_argument("--val-frac", type=_fraction, help=f"validation share (default {d['val_frac']})")
    split.add_argument("--test-frac", type=_fraction, help=f"test share (default {d['test_frac']})")
    split.add_argument("--seed", type=int, help="seed for split, initialisation and shuffling (default 0)")
    model = p.add_argument_group("model and training")
    model.add_argument("--arch", choices=ARCHS, help=f"backbone (default {d['arch']})")
    model.add_argument("--weights", help="initial weights: a torchvision state dict (e.g. ImageNet) or a cxrtrain "
                                         "checkpoint; default random initialisation")
    model.add_argument("--image-size", type=_positive_int, help=f"square input size in pixels (default {d['image_size']})")
    model.add_argument("--epochs", type=_positive_int, help=f"epochs (per stage for u-selftrained; default {d['epochs']})")
    model.add_argument("--batch-size", type=_positive_int, help=f"images per step, over all processes (default {d['batch_size']})")
    model.add_argument("--lr", type=float, help=f"Adam learning rate (default {d['lr']})")
    model.add_argument("--patience", type=int, help=f"stop after this many epochs without a lower validation loss; "
                                                    f"0 never stops early (default {d['patience']})")
    model.add_argument("--class-weights", choices=("none", "balanced"),
                       help="balanced: weigh the loss by the training split's positive/negative counts")
    model.add_argument("--oversample", action="store_true", default=None,
                       help="draw images of rare classes more often (weighted sampling with replacement)")
    run = p.add_argument_group("running")
    run.add_argument("--device", choices=("auto", "cpu", "cuda"), help="default auto: CUDA when available")
    run.add_argument("--amp", action="store_true", default=None, help="mixed precision (CUDA only)")
    run.add_argument("--resume", action="store_true", default=None,
                     help="continue the run in --out from its last finished epoch, with its saved settings")
    run.add_argument("--workers", type=int, help="image loading processes/threads (default: 0 on CPU, 4 on CUDA)")
    run.add_argument("--cache-dir", help="where resized images are cached (default $CXRTRAIN_CACHE or ~/.cache/cxrtrain)")
    run.add_argument("--no-progress", dest="progress", action="store_false", default=None, help="no progress bar")
    p.set_defaults(handler=_run_fit)


def fit_options(args: argparse.Namespace) -> "FitOptions":
    """Options from the command line; with --resume, those not given come from the saved run."""
    from .train import FitOptions

    given = {f.name: getattr(args, f.name) for f in fields(FitOptions) if getattr(args, f.name, None) is not None}
    config = Path(args.out) / "config.json"
    if args.resume and config.is_file():
        saved = json.loads(config.read_text(encoding="utf-8"))["options"]
        return FitOptions(**{**saved, **given})
    return FitOptions(**given)


def _run_fit(args: argparse.Namespace) -> int:
    from .train import fit

    fit(fit_options(args))
    return 0


def _add_run_commands(commands: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--run", required=True, help="run folder made by cxrtrain fit")
    common.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    # evaluate and predict read images the way fit does
    loading = argparse.ArgumentParser(add_help=False)
    loading.add_argument("--cache-dir", help="where resized images are cached (default $CXRTRAIN_CACHE or ~/.cache/cxrtrain)")
    loading.add_argument("--workers", type=int, default=0, help="image loading threads (default: 0)")

    p = commands.add_parser("evaluate", parents=[common, loading], formatter_class=argparse.RawDescriptionHelpFormatter,
                            help="metrics of a finished run",
                            description="Score the run's best model on its own val/test splits, or on every row of "
                                        "another labelled table, with the thresholds chosen on validation.",
                            epilog="examples:\n  cxrtrain evaluate --run runs/first\n"
                                   "  cxrtrain evaluate --run runs/first --labels other_hospital.csv --images /data/other")
    p.add_argument("--labels", help="another label table to evaluate on (needs --images)")
    p.add_argument("--images", help="image folder of --labels")
    p.add_argument("--path-column", help="column of image paths in --labels (default: the run's)")
    p.add_argument("--id-column", help="column of ids in --labels, used with --image-pattern")
    p.add_argument("--image-pattern", help="file name made from the id, e.g. '{id}.png'")
    p.add_argument("-o", "--output", help="JSON report (default: RUN/evaluation.json)")
    p.set_defaults(handler=_run_evaluate)

    p = commands.add_parser("predict", parents=[common, loading], formatter_class=argparse.RawDescriptionHelpFormatter,
                            help="predict every image in a folder",
                            description="Write one row per image: a probability and a 0/1 label per output "
                                        "(threshold from validation); unreadable images get an error instead.",
                            epilog="example:\n  cxrtrain predict --run runs/first --images /data/new -o predictions.csv")
    p.add_argument("--images", required=True, help="folder searched recursively for images")
    p.add_argument("-o", "--output", required=True, help="CSV to write")
    p.set_defaults(handler=_run_predict)

    p = commands.add_parser("cam", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
                            help="Grad-CAM heat maps",
                            description="Overlay a Grad-CAM heat map of the most probable output (or --observation) "
                                        "on each image.",
                            epilog="example:\n  cxrtrain cam --run runs/first a.png b.dcm --out cams/")
    p.add_argument("image", nargs="+", help="images to explain")
    p.add_argument("--out", required=True, help="folder for the PNGs: a new or empty one, or one cam made before")
    p.add_argument("--observation", help="explain this output instead of the most probable one")
    p.set_defaults(handler=_run_cam)


def _run_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import evaluate

    evaluate(args.run, args.labels, args.images, output=args.output, path_column=args.path_column,
             id_column=args.id_column, image_pattern=args.image_pattern, device=args.device,
             cache_dir=args.cache_dir, workers=args.workers)
    return 0


def _run_predict(args: argparse.Namespace) -> int:
    from .evaluate import predict

    predict(args.run, args.images, args.output, device=args.device, cache_dir=args.cache_dir, workers=args.workers)
    return 0


def _run_cam(args: argparse.Namespace) -> int:
    from .evaluate import cam

    cam(args.run, args.image, args.out, observation=args.observation, device=args.device)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxrtrain", formatter_class=argparse.RawDescriptionHelpFormatter,
                                     description="Train chest X-ray image classifiers on cxrlabel's label tables.",
                                     epilog=EPILOG)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_fit(commands)
    _add_run_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UserError as exc:
        if os.environ.get("RANK", "0") == "0":  # under torchrun every rank fails alike; say it once
            print(f"cxrtrain: error: {exc}", file=sys.stderr)
        return UserError.exit_code
    except KeyboardInterrupt:
        print("cxrtrain: interrupted; continue a fit with --resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
