"""A label table read for training or evaluation: image paths, the task's values, the policies' targets and
loss masks, and the patient of each row, whatever layout the table has."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .labels import (
    PATIENT_COLUMN_NAMES, TaskData, build_task, cells, check_images_exist, check_not_text, load_label_table,
    optional_column, resolve_image_paths, unique_images,
)
from .layouts import detect as detect_layout
from .policies import apply_policies, head_widths, parse_policies


@dataclass
class Labelled:
    """A label table turned into per-row image paths, task values, targets and loss masks."""

    paths: list[Path]
    path_column: str
    task: TaskData
    policies: list[str]
    widths: list[int]
    targets: np.ndarray
    mask: np.ndarray
    groups: list[str]
    group_column: str | None
    layout: str
    patient_source: str | None  # where the patient ids came from, in words
    lines: np.ndarray  # line of each row in the label file
    layout_notes: list[str]


def prepare_labels(labels: str | Path, images: str | Path, *, path_column: str | None, id_column: str | None,
                   image_pattern: str | None, task: str, observations: list[str] | None, policy: str,
                   policy_per_observation: str | None, blank: str, split_column: str | None = None,
                   encoding: str | None = None, frontal_only: bool = False, metadata: str | None = None,
                   view_required: bool = True) -> Labelled:
    """Everything fit and evaluate read from a label table, with every user mistake a UserError."""
    labels, images = Path(labels), Path(images)
    layout = detect_layout(load_label_table(labels, encoding), labels, images, frontal_only=frontal_only,
                           metadata=metadata, view_required=view_required)
    frame = layout.frame
    paths, used_path_column = resolve_image_paths(frame, images, labels, path_column or layout.path_column,
                                                  id_column, image_pattern)
    path_source = (layout.path_source if used_path_column == layout.path_column and layout.path_source
                   else f"column {used_path_column!r}")
    check_images_exist(paths, images, path_source)
    group_column = optional_column(frame, split_column or layout.patient_column, PATIENT_COLUMN_NAMES, "patient id")
    if group_column:
        check_not_text(frame, group_column, "patient ids", "split_column")
    if split_column or not layout.patient_column:
        patient_source = f"column {group_column!r}" if group_column else None
    else:
        patient_source = layout.patient_source
    reserved = {used_path_column} | ({group_column} if group_column else set())
    task_data = build_task(frame, task, observations, reserved, lines=layout.lines)
    groups = cells(frame[group_column]).tolist() if group_column else [""] * len(frame)
    keep, duplicates = unique_images(paths, task_data.values, groups, layout.lines)
    if not keep.all():
        paths, groups = [p for p, k in zip(paths, keep) if k], [g for g, k in zip(groups, keep) if k]
        task_data = task_data.subset(keep)
    lines = layout.lines[keep]
    if task == "multiclass":
        policies, widths = [], [len(task_data.outputs)]
        targets = np.nan_to_num(task_data.values, nan=0.0).astype(np.float32)
        mask = task_data.usable[:, None].copy()
    else:
        policies = parse_policies(policy, policy_per_observation, task_data.outputs)
        widths = head_widths(policies)
        targets, mask = apply_policies(task_data.values, policies, blank)
    return Labelled(paths, used_path_column, task_data, policies, widths, targets, mask, groups, group_column,
                    layout.name, patient_source, lines, [*layout.notes, *duplicates])
