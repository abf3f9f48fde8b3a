"""`cxrtrain evaluate`: metrics of a finished run's best model (or its ensemble), on the run's own val/test
splits or on every row of another labelled table."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from cxrlabel.errors import UserError

from ..data.augment import tta_views
from ..data.cache import cached_pack
from ..data.labelled import prepare_labels
from ..data.splits import load_split
from ..errors import in_words
from ..inference.output import output_file, summary_stream
from ..inference.run import Run
from ..inference.run_files import read_config, write_json
from .reports import split_reports

# The saved options evaluate reads to find a run's own label table, images and splits again.
OPTIONS_READ = ("labels", "images", "path_column", "id_column", "image_pattern", "split_column", "encoding",
                "observations")

def evaluate(run_folder: str, labels: str | None = None, images: str | None = None, *, output: str | None = None,
             path_column: str | None = None, id_column: str | None = None, image_pattern: str | None = None,
             device: str = "auto", cache_dir: str | None = None, workers: int = 0, batch_size: int = 32,
             ensemble: bool = False, tta: bool = False) -> dict:
    """Metrics of the best model (or the ensemble) on the run's own val/test splits, or on every row of
    another table."""
    run = Run(run_folder, device, ensemble)
    opts, meta = read_config(run.folder / "config.json", OPTIONS_READ)["options"], run.meta
    if (labels is None) != (images is None):
        raise UserError("give both $labels and $images to evaluate on another table, or neither")
    external = labels is not None
    table = labels or opts["labels"]
    suffix = ("_ensemble" if ensemble else "") + ("_tta" if tta else "")
    target = output_file(output or run.folder / (f"evaluation_{Path(table).stem}{suffix}.json" if external
                                                 else f"evaluation{suffix}.json"), [table, *run.files()],
                         owner="cxrtrain run")  # its reports belong in the run folder
    data = prepare_labels(
        table, images or opts["images"],
        path_column=path_column if external else opts["path_column"],
        id_column=id_column if external else opts["id_column"],
        image_pattern=image_pattern if external else opts["image_pattern"],
        task=meta["task"], observations=meta["outputs"] if meta["task"] != "binary" else opts["observations"],
        policy="u-ignore", policy_per_observation=None, blank=meta["blank"],
        split_column=None if external else opts["split_column"], encoding=opts["encoding"] if not external else None,
        frontal_only=opts.get("frontal_only", False), metadata=None if external else opts.get("metadata"),
        view_required=not external)
    if data.task.outputs != meta["outputs"]:
        raise UserError(f"the table gives outputs {data.task.outputs}, but the model predicts {meta['outputs']}")
    usable = data.task.usable
    if external:
        splits = {Path(labels).stem: np.flatnonzero(usable)}
    else:
        split = load_split(run.folder / "split.csv", len(data.paths))
        splits = {name: np.flatnonzero(usable & (split == name)) for name in ("val", "test")}
    result: dict = {"run": str(run.folder), "task": meta["task"], "labels": str(table),
                    "model": f"ensemble of {len(run.models)} checkpoints (ensemble.json)" if ensemble else "best.pt",
                    "tta": f"mean over {len(tta_views(meta['image_size']))} fixed views" if tta else None,
                    "thresholds_from": "the run's validation split (ensemble.json)" if ensemble
                    else "the run's validation split (thresholds.json)"}
    skipped: dict[int, str] = {}  # row -> why its image could not be used
    pack = cached_pack(data.paths, meta["image_size"], cache_dir, workers)
    for name, rows in splits.items():
        logits, readable, errors = run.pack_logits(pack, rows, workers, batch_size, tta)
        skipped.update((int(i), errors[i]) for i in rows if errors[i])
        if len(readable) == 0:
            result[name] = {"split": name, "n_images": 0, "note": "no readable labelled image"}
            continue
        result[name] = split_reports(meta["task"], meta["outputs"], meta["widths"], meta["blank"], name,
                                     data.task.values[readable], logits, run.thresholds, None, run.temperatures)
    result["skipped_images"] = len(skipped)
    result["skipped"] = [{"line": int(data.lines[i]), "image": str(data.paths[i]), "reason": reason}
                         for i, reason in sorted(skipped.items())]
    result["notes"] = [in_words(note) for note in (f"label table layout: {data.layout}", *data.layout_notes)]
    write_json(target, result)
    say = summary_stream(target)
    if skipped:
        shown = "; ".join(f"line {s['line']} {s['image']}: {s['reason']}" for s in result["skipped"][:3])
        print(f"cxrtrain: skipped {len(skipped)} unreadable or missing image{'s' if len(skipped) > 1 else ''}, not "
              f"evaluated (e.g. {shown}); all are listed under \"skipped\" in {target}", file=sys.stderr)
    for name in splits:
        report = result[name]
        print(f"{name}: {report['n_images']} images" + "".join(
            f", {key} {report[key]:.3f}" for key in ("mean_auc", "mean_average_precision", "top3_sensitivity")
            if report.get(key) is not None), file=say)
    print(f"written to {target}", file=say)
    return result
