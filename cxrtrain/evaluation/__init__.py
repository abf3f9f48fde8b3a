"""Scoring a model: metrics, temperature scaling, the reports of a split, and `cxrtrain evaluate`."""
