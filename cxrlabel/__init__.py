"""cxrlabel: CheXpert-style labels from chest X-ray report archives.

In Python (the README shows more):

    import cxrlabel
    labels = cxrlabel.label(["No pneumothorax. Mild cardiomegaly."])   # a DataFrame, as extract writes
    print(cxrlabel.explain("Possible pneumonia. No effusion."))
    labeler = cxrlabel.Labeler(parser="none")                          # models loaded once, for reuse

The names load on first use, so the command line starts without pandas or a parser.
"""

__version__ = "0.1.0"
__all__ = ["Labeler", "explain", "label"]


def __getattr__(name: str):
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'cxrlabel' has no attribute {name!r}")
