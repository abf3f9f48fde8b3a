"""Names and defaults of the zh commands: constants the command line shows in its help, kept free of numpy and pandas so that `--help` answers at once;
the modules that act on them import them from here."""

DISTANCES = ("chars", "tokens")
DEFAULT_MAX_DISTANCE = 0.5  # zh label leaves clauses farther than this from every medoid unassigned
SECTION_CHOICES = ("diagnosis", "all")
KMEDOIDS_CHOICES = ("kmedoids", "sklearn-extra")  # zh mine --kmedoids (not an archive engine)
OVERRIDES_FILE = "clause_overrides.csv"
ALL_CORES = -1  # distance threads: rapidfuzz's word for every core
