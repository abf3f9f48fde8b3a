"""Classifying one mention as positive, negative or uncertain, in the CheXpert stage order."""
from __future__ import annotations

from .graph import Graph
from .patterns import Matcher
from .ruleset import STAGE_LABEL, STAGES, RuleSet

POSITIVE_RULE = "default.positive"


def classify(graph: Graph, mention_tokens: list[int], rules: RuleSet, observation: str = "",
             possible: dict[int, bool] | None = None) -> tuple[float, str]:
    """(label, id of the deciding rule): pre-negation uncertainty, then negation, then post-negation
    uncertainty; a mention no rule catches is positive. `possible`, a dict the caller keeps for one sentence,
    remembers which rules' cue words the sentence holds, so its other mentions do not ask again."""
    matcher = Matcher(graph, set(mention_tokens), rules.scope, observation)
    anchors = graph.span_heads(mention_tokens) if graph.parsed else mention_tokens
    usable = ("graph", "any") if graph.parsed else ("surface", "any")
    vocabulary = graph.vocabulary
    known = {} if possible is None else possible
    for stage in STAGES:
        for rule in rules.stages[stage]:
            if rule.mode not in usable:
                continue
            can = known.get(id(rule))
            if can is None:
                can = known[id(rule)] = rule.possible(vocabulary)
            if can and any(matcher.match(rule.pattern, i) for i in anchors):
                return STAGE_LABEL[stage], rule.id
    return 1.0, POSITIVE_RULE
