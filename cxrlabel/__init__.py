"""cxrlabel: CheXpert-style labels from chest X-ray report archives."""

__version__ = "0.1.0"
