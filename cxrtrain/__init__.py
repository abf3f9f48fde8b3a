"""cxrtrain: train chest X-ray classifiers on cxrlabel's label CSVs."""

__version__ = "0.1.0"
