"""`cxrtrain fit`: train a classifier on a label table and an image folder (the library: cxrtrain.training.fit)."""
from __future__ import annotations

import argparse
import difflib
from dataclasses import fields
from pathlib import Path

from cxrlabel.cli import flags_of
from cxrlabel.errors import UserError

from ..inference.run_files import read_run_json
from ..settings import (ARCHS, BLANK_MODES, CLASS_WEIGHTS, MIN_CLASS_TRAIN_IMAGES, OPTIMIZERS, PLATEAU_PATIENCE,
                        POLICIES, SCHEDULES, SELECT_BY, TASKS, FitOptions, absolute_paths)
from .options import CACHE_HELP, add_device, add_loader_workers, comma_list, fraction, positive_int

FIT_EPILOG = """\
examples:
  # CheXpert recipe (DenseNet-121, 320 px, Adam 1e-4, batch 20, 15 epochs) on cxrlabel's output;
  # the image column and the patient column are found by name, observations are every 1/0/-1 column
  cxrtrain fit --labels labels.csv --images /data/cxr --out runs/densenet

  # images named after an id column, uncertain labels as positives, two observations per policy
  cxrtrain fit --labels labels.csv --images /data/png --id-column id --image-pattern '{id}.png' \\
      --out runs/uones --policy u-ones --policy-per-observation 'Cardiomegaly=u-multiclass'

  # CheXpert as Stanford ships it: the layout is recognised from train.csv's columns, the patient is
  # taken from the path (patientNNNNN), lateral views are left out
  cxrtrain fit --labels /data/CheXpert-v1.0-small/train.csv --images /data --frontal-only \\
      --observations 'Cardiomegaly,Edema,Consolidation,Atelectasis,Pleural Effusion' --policy u-ones \
      --augment --lr-schedule cosine --warmup-epochs 1 --select-by auc --keep-top 3 --out runs/chexpert

  # NIH ChestX-ray14 (Data_Entry_2017.csv) and MIMIC-CXR-JPG (the chexpert CSV; the metadata CSV beside it)
  cxrtrain fit --labels /data/nih/Data_Entry_2017.csv --images /data/nih --out runs/nih
  cxrtrain fit --labels /data/mimic/mimic-cxr-2.0.0-chexpert.csv --images /data/mimic --frontal-only --out runs/mimic

  # replay a run with one change
  cxrtrain fit --config runs/chexpert/config.json --out runs/chexpert_sgd --optimizer sgd --lr 0.01

  # a quick CPU check: small model, small images, 2 epochs
  cxrtrain fit --labels labels.csv --images /data/cxr --out runs/smoke --arch resnet18 --image-size 128 --epochs 2

  # continue after a crash or kill, from the last finished epoch
  cxrtrain fit --labels labels.csv --images /data/cxr --out runs/densenet --resume
  # train a run (finished or not) on to 20 epochs; a cosine/step schedule is rebuilt for 20
  cxrtrain fit --out runs/densenet --resume --epochs 20

  # 4 GPUs (or 2 CPU processes): every process runs the same command
  torchrun --standalone --nproc_per_node 4 -m cxrtrain fit --labels labels.csv --images /data/cxr --out runs/ddp --amp

uncertainty policies (what a -1 label trains as): u-ignore masks it; u-zeros makes it 0; u-ones makes
it 1; u-selftrained trains with u-ignore, relabels -1 with that model's probabilities, trains again;
u-multiclass learns negative/positive/uncertain and scores softmax over {negative, positive}.
Blank cells are negatives (--blank zero, CheXpert) or masked (--blank ignore, torchxrayvision).

No weights are ever downloaded: without --weights the network starts from random initialisation.
The run folder gets config.json, split.csv, skipped_images.csv, history.csv, log.txt, best.pt, last.pt,
calibration.json (temperatures fitted on validation), thresholds.json (--operating-point on validation),
metrics.json (AUC with bootstrap 95% intervals, warnings), ROC curves and reliability diagrams
(roc_*.png, reliability_*.png), TensorBoard logs when tensorboard is installed, and with --keep-top
checkpoints/ and ensemble.json.
"""


def register(commands: argparse._SubParsersAction) -> None:
    # Options default to None so that --resume can tell "given" from "not given" and reuse the saved run's.
    d = {f.name: f.default for f in fields(FitOptions)}
    p = commands.add_parser("fit", help="train a classifier", epilog=FIT_EPILOG,
                            formatter_class=argparse.RawDescriptionHelpFormatter,
                            description="Train a chest X-ray classifier on a cxrlabel label table.")
    _data_options(p)
    _label_options(p, d)
    _split_options(p, d)
    _model_options(p, d)
    _running_options(p)
    p.set_defaults(run=run, fit_parser=p)


def _data_options(p: argparse.ArgumentParser) -> None:
    """Where the labels and images are, and how rows find their images."""
    data = p.add_argument_group("data")
    data.add_argument("--labels", help="label table (CSV, JSONL or Parquet) from cxrlabel, or a public dataset's own "
                                       "(CheXpert train.csv/valid.csv, NIH Data_Entry_2017.csv, MIMIC-CXR-JPG "
                                       "chexpert CSV), recognised from its columns")
    data.add_argument("--images", help="folder the image paths are relative to (the dataset root)")
    data.add_argument("--out", required=True, help="run folder to create, or an empty one (or continue with --resume)")
    data.add_argument("--config", help="replay a run: take every option from its config.json (or from a JSON object "
                                       "of options named as here, e.g. {\"epochs\": 2}); options given on the "
                                       "command line override it; relative paths in it are taken from its folder")
    data.add_argument("--frontal-only", action="store_true", default=None,
                      help="keep frontal views only (CheXpert Frontal/Lateral, NIH View Position, MIMIC ViewPosition)")
    data.add_argument("--metadata", help="MIMIC-CXR-JPG: the metadata CSV listing each study's images "
                                         "(default: mimic-cxr-2.0.0-metadata.csv beside --labels)")
    data.add_argument("--path-column", help="column with image paths (default: found by name, e.g. Path, image_path)")
    data.add_argument("--id-column", help="column with image ids, combined with --image-pattern")
    data.add_argument("--image-pattern", help="file name from the id, e.g. '{id}.png' (default: any image named <id>.*)")
    data.add_argument("--encoding", help="text encoding of the label CSV (default: detected)")


def _label_options(p: argparse.ArgumentParser, d: dict) -> None:
    """What is learned from the label columns, and how thresholds are chosen."""
    labels = p.add_argument_group("labels")
    labels.add_argument("--observations", type=comma_list, action="extend",
                        help="observation columns to learn, comma-separated, or the flag repeated; a name with a comma "
                             "in double quotes: --observations 'Edema,\"Effusion, left\"' (default: every 1/0/-1 column)")
    labels.add_argument("--task", choices=TASKS,
                        help=f"multilabel: one sigmoid per observation; multiclass: one softmax over the labels of "
                             f"single-label images (each class needs at least {MIN_CLASS_TRAIN_IMAGES} in the "
                             f"training split and 1 in validation); binary: normal vs abnormal (default {d['task']})")
    labels.add_argument("--policy", choices=POLICIES, help=f"uncertainty policy for -1 labels (default {d['policy']})")
    labels.add_argument("--policy-per-observation", metavar="OBS=POLICY,...",
                        help="per-observation policies, e.g. 'Edema=u-ones,Cardiomegaly=u-multiclass'")
    labels.add_argument("--blank", choices=BLANK_MODES, help="blank label cells: negative or masked (default zero)")
    labels.add_argument("--operating-point", help="how each output's threshold is chosen on validation: f1 (maximum "
                                                  "F1), youden (max sensitivity + specificity) or sens=0.9 (the "
                                                  f"highest threshold reaching that sensitivity; default {d['operating_point']})")


def _split_options(p: argparse.ArgumentParser, d: dict) -> None:
    """The patient-level train/val/test split."""
    split = p.add_argument_group("split")
    split.add_argument("--split-column", help="patient id column; no patient is in two splits "
                                              "(default: found by name, e.g. patient_id, PatientID)")
    split.add_argument("--val-frac", type=fraction, help=f"validation share (default {d['val_frac']})")
    split.add_argument("--test-frac", type=fraction, help=f"test share (default {d['test_frac']})")
    split.add_argument("--seed", type=int, help="seed for split, initialisation and shuffling (default 0)")


def _model_options(p: argparse.ArgumentParser, d: dict) -> None:
    """The network, the optimiser and the choice of the best epoch."""
    model = p.add_argument_group("model and training")
    model.add_argument("--arch", choices=ARCHS, help=f"backbone (default {d['arch']})")
    model.add_argument("--weights", help="initial weights: a torchvision state dict (e.g. ImageNet), a torchxrayvision "
                                         "state dict (densenet121, resnet50: its one-channel input is kept) or a "
                                         "cxrtrain checkpoint (its output layer only when it predicts the same "
                                         "observations); default random initialisation")
    model.add_argument("--image-size", type=positive_int, help=f"square input size in pixels (default {d['image_size']})")
    model.add_argument("--epochs", type=positive_int, help=f"epochs (per stage for u-selftrained; default {d['epochs']})")
    model.add_argument("--batch-size", type=positive_int, help=f"images per step, over all processes (default {d['batch_size']})")
    model.add_argument("--lr", type=float, help=f"learning rate (default {d['lr']})")
    model.add_argument("--optimizer", choices=OPTIMIZERS, help=f"adam (CheXpert), adamw (decoupled weight decay) or "
                                                              f"sgd with Nesterov momentum 0.9 (default {d['optimizer']})")
    model.add_argument("--weight-decay", type=float, help=f"L2 / decoupled weight decay (default {d['weight_decay']})")
    model.add_argument("--lr-schedule", choices=SCHEDULES,
                       help="per-epoch learning rate: cosine decays to 0 at the last epoch; step divides by 10 after "
                            "each third of the epochs; plateau divides by 10 when the --select-by metric has not "
                            f"improved for {PLATEAU_PATIENCE} epoch (default {d['lr_schedule']})")
    model.add_argument("--warmup-epochs", type=int, help="linear warm-up from --lr/10 over this many first epochs, "
                                                         f"then the schedule (default {d['warmup_epochs']})")
    model.add_argument("--augment", action="store_true", default=None,
                       help="random-resized crop (scale 0.85-1), rotation up to 10 degrees, brightness and contrast "
                            "0.2, on the cached images (torchvision.transforms.v2)")
    model.add_argument("--hflip", action="store_true", default=None,
                       help="with --augment, also flip left-right (off by default: it moves the heart to the right)")
    model.add_argument("--select-by", choices=SELECT_BY,
                       help="the best epoch (best.pt) has the lowest validation loss or the highest mean validation "
                            f"AUC (default {d['select_by']})")
    model.add_argument("--keep-top", type=positive_int,
                       help="keep the checkpoints of this many best epochs (checkpoints/) for evaluate / predict "
                            f"--ensemble (default {d['keep_top']}: best.pt only)")
    model.add_argument("--patience", type=int, help=f"stop after this many epochs without a better --select-by "
                                                    f"metric; 0 never stops early (default {d['patience']})")
    model.add_argument("--class-weights", choices=CLASS_WEIGHTS,
                       help="balanced: weigh the loss by the training split's positive/negative counts")
    model.add_argument("--oversample", action="store_true", default=None,
                       help="draw images of rare classes more often (weighted sampling with replacement)")


def _running_options(p: argparse.ArgumentParser) -> None:
    """Where and how the run runs; these may change when a run is resumed."""
    running = p.add_argument_group("running")
    add_device(running, default=None)
    running.add_argument("--amp", action="store_true", default=None, help="mixed precision (CUDA only)")
    running.add_argument("--resume", action="store_true", default=None,
                         help="continue the run in --out from its last finished epoch, with its saved settings (only "
                              "--epochs, --patience and these running options may change); a larger --epochs trains "
                              "a run, finished or not, on to that many epochs; a finished run with nothing left is "
                              "scored again")
    add_loader_workers(running, None, "DataLoader worker processes, and threads decoding images into the cache "
                                      "(default: 0 on CPU, 4 on CUDA)")
    running.add_argument("--cache-dir", help=CACHE_HELP)
    running.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                         help="no progress bar (there is none anyway when stderr is not a terminal)")


def _config_value(parser: argparse.ArgumentParser, action: argparse.Action, value: object) -> object:
    """A config file's value of one option, checked by the option's own type and choices (the command line's)."""
    if action.nargs == 0:  # a switch: its value itself
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if action.type is comma_list and isinstance(value, list):
        if not value or not all(isinstance(item, str) and item.strip() for item in value):
            raise ValueError(f"expected a list of names, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or (
            action.type is None and not isinstance(value, str)):
        raise ValueError(f"expected {'text' if action.type is None else 'a number'}, got {value!r}")
    try:
        converted = parser._get_value(action, str(value))
        parser._check_value(action, converted)
    except argparse.ArgumentError as exc:
        raise ValueError(exc.message) from None
    return converted


def config_options(parser: argparse.ArgumentParser, path: Path, setting: str, relative_to_file: bool) -> dict:
    """The options of a config file: a run's config.json, or a JSON object of options as `fit` names them.
    Each is checked as the command line checks its flag, and an unknown one (a misspelt option) is refused.
    With `relative_to_file`, relative paths are taken from the file's folder (a run's own config.json holds
    them whole)."""
    raw = read_run_json(path, f"{setting} takes a run's config.json, or a JSON object of fit options",
                        lambda config: dict(config.get("options", config)))
    flags = {action.dest: action for action in parser._actions if action.option_strings}
    known = {f.name for f in fields(FitOptions)}
    options = {}
    for key, value in raw.items():
        if key in ("out", "resume"):  # a replay writes a run of its own; resuming is said on the command line
            continue
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), 1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UserError(f"{setting} {path}: unknown option {key!r}{hint}")
        if value is None:
            continue
        try:
            options[key] = _config_value(parser, flags[key], value)
        except ValueError as exc:
            raise UserError(f"{setting} {path}: {key!r} ({max(flags[key].option_strings, key=len)}): {exc}") from None
    if relative_to_file:
        options = absolute_paths(options, path.resolve().parent)
    return options


def fit_options(args: argparse.Namespace) -> FitOptions:
    """Options from the command line; those not given come from --config, or with --resume from the saved run."""
    given = {f.name: getattr(args, f.name) for f in fields(FitOptions) if getattr(args, f.name, None) is not None}
    config = Path(args.out) / "config.json"
    saved: dict = {}
    if args.config:
        saved = config_options(args.fit_parser, Path(args.config), "$config", relative_to_file=True)
    if args.resume and config.is_file():
        saved = config_options(args.fit_parser, config, "$resume", relative_to_file=False)
    options = {**saved, **given}
    missing = [f"--{name}" for name in ("labels", "images") if options.get(name) is None]
    if missing:
        raise UserError(f"fit needs {' and '.join(missing)} (or --config runs/A/config.json to replay a run)")
    return FitOptions(**options)


def run(args: argparse.Namespace) -> int:
    options = fit_options(args)  # read and checked without torch, so a wrong option or config file is said at once
    from ..training.fit import fit  # torch loads here, once training starts; --help and option errors never load it

    fit(options, flags=flags_of(args.fit_parser, args))
    return 0
