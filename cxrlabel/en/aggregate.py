"""Report-level labels from mention labels, with the CheXpert precedence and the rules in aggregation.ini."""
from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError

PRECEDENCE = (1.0, -1.0, 0.0)  # any positive wins, then uncertain, then negative


@dataclass(frozen=True)
class Derivation:
    """TARGET takes VALUE when SOURCE's label is one of SOURCE_VALUES and TARGET's is one of WHEN_TARGET."""

    id: str
    target: str
    value: float
    source: str
    source_values: tuple[float, ...]
    when_target: tuple[float | None, ...]


@dataclass(frozen=True)
class AggregationRules:
    no_finding_ignores: tuple[str, ...]
    no_finding_blockers: tuple[str, ...]
    derivations: tuple[Derivation, ...]


def _value(text: str, where: str) -> float | None:
    text = text.strip().lower()
    if text == "blank":
        return None
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"{where}: {text!r} is not a label; use 1.0, 0.0, -1.0 or blank") from None
    if value not in PRECEDENCE:
        raise UserError(f"{where}: {text!r} is not a label; use 1.0, 0.0, -1.0 or blank")
    return value


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def load(path: Path) -> AggregationRules:
    parser = configparser.ConfigParser()
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, configparser.Error) as exc:
        raise UserError(f"{path}: cannot read aggregation rules ({exc})") from None
    nf = parser["no finding"] if parser.has_section("no finding") else {}
    derivations = []
    for section in parser.sections():
        if not section.startswith("derive "):
            continue
        s, where = parser[section], f"{path} [{section}]"
        try:
            derivations.append(Derivation(
                section.split(" ", 1)[1].strip(), s["target"].strip(), _value(s["value"], where),
                s["source"].strip(), tuple(_value(v, where) for v in s["source_values"].split(",")),
                tuple(_value(v, where) for v in s.get("when_target", "blank").split(",")),
            ))
        except KeyError as exc:
            raise UserError(f"{where}: missing key {exc}; a derivation needs target, value, source, source_values") from None
    return AggregationRules(_names(nf.get("ignore", "")), _names(nf.get("blockers", "")), tuple(derivations))


def combine(values: list[float]) -> float | None:
    """The CheXpert precedence over one observation's mention labels."""
    for label in PRECEDENCE:
        if label in values:
            return label
    return None


def by_rank(ranked: dict[int, dict[str, list[float]]]) -> tuple[dict[str, list[float]], list[tuple[str, float | None, str]]]:
    """Mention labels per observation from the best-ranked text that mentions it (`sections.ranked`: the
    impression before the findings), and a decision for each observation whose verdict that overruled."""
    chosen: dict[str, list[float]] = {}
    overruled: list[tuple[str, float | None, str]] = []
    for rank in sorted(ranked):
        for obs, values in ranked[rank].items():
            if obs not in chosen:
                chosen[obs] = values
            elif combine(values) != combine(chosen[obs]):
                overruled.append((obs, combine(chosen[obs]), "sections.impression_wins"))
    return chosen, overruled


def aggregate(mention_labels: dict[str, list[float]], observations: list[str], auxiliary: list[str],
              rules: AggregationRules) -> tuple[dict[str, float | None], list[tuple[str, float | None, str]]]:
    """Labels per column, and the derived decisions (observation, value, rule id) for explanations."""
    labels = {name: combine(mention_labels.get(name, [])) for name in list(observations) + list(auxiliary)}
    decisions: list[tuple[str, float | None, str]] = []
    for d in rules.derivations:
        if labels.get(d.source) in d.source_values and labels.get(d.target) in d.when_target:
            labels[d.target] = d.value
            decisions.append((d.target, d.value, d.id))
    if "No Finding" in observations:
        skip = set(rules.no_finding_ignores) | {"No Finding"}
        considered = [o for o in observations if o not in skip] + list(rules.no_finding_blockers)
        blocked = any(labels.get(o) in (1.0, -1.0) for o in considered)
        labels["No Finding"] = None if blocked else 1.0
        decisions.append(("No Finding", labels["No Finding"], "no_finding"))
    return {o: labels[o] for o in observations}, decisions
