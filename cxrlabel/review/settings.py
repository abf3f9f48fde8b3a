"""Files and defaults of sample and review: constants the command line shows in its help, kept free of numpy and pandas so that `--help` answers at once;
the modules that act on them import them from here."""

SAMPLE_CSV, SAMPLE_JSON = "sample.csv", "sample.json"
PAGE_FILE = "review.html"
ROW_ID = "row"  # the id column of a sample drawn from labels without ids: the row number, from 1 (as zh label)
ALLOCATIONS = {"sqrt": 0.5, "equal": 0.0, "proportional": 1.0}  # the power of a stratum's size it is given
DEFAULT_UNCERTAIN_SHARE = 0.25
DEFAULT_NEAR = 0.05  # zh: a clause part this close to --max-distance (either side) counts as least sure
