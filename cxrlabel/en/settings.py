"""How much the English labeller holds at a time: constants the command line shows in its help, kept free of pandas and parsers so that `--help` answers at once;
the modules that act on them import them from here."""

CACHE_LIMIT = 200_000  # analysed sentences kept per process
BATCH_SIZE = 256  # reports labelled at a time: memory stays flat however many are given
