"""model.json: what `zh label` needs to assign new clauses exactly as `zh mine` did."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import UserError

FORMAT = "cxrlabel-zh-clusters"
VERSION = 2
MODEL_FILE = "model.json"


@dataclass
class SavedModel:
    cluster_ids: list[int]
    medoids: list[str]  # normalised medoid text
    medoid_tokens: list[list[str]]  # its tokens as segmented when mined
    distance: str
    guide: bool  # distances steered by the known-findings lexicon
    drop_laterality: bool
    sections: str  # diagnosis: whole reports read from their diagnosis section; all: every line
    rules_dir: str | None  # None: the shipped files
    lexicon_dir: str | None
    seed: int
    loss: float


def model_bytes(model: SavedModel) -> bytes:
    """The file's contents, which `zh mine` and `zh split` write through `output_guard.write_atomically`."""
    payload = {"format": FORMAT, "version": VERSION, **asdict(model)}
    return json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")


def load_model(path: Path) -> SavedModel:
    if not path.is_file():
        raise UserError(f"{path}: no model file; `cxrlabel zh mine` writes {MODEL_FILE} beside label_map.csv "
                        "(or name it with $model)")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not a readable model file ({exc}); mine again to rewrite it") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise UserError(f"{path}: not a cxrlabel zh model file; give the model.json written by `cxrlabel zh mine`")
    if payload.get("version") != VERSION:
        raise UserError(f"{path}: model version {payload.get('version')} is not {VERSION}; mine again")
    fields = {name: payload.get(name) for name in SavedModel.__dataclass_fields__}
    missing = [name for name, value in fields.items() if value is None and name not in ("rules_dir", "lexicon_dir")]
    if missing:
        raise UserError(f"{path}: missing {', '.join(missing)}; mine again to rewrite it")
    return SavedModel(**fields)
