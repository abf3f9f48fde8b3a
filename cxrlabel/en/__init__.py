"""The English labeler: sections, sentences, mentions, negation and uncertainty rules over a dependency
graph, and report aggregation. `labeler.Pipeline` runs the stages in order; `parsers/` fills in the graph."""
