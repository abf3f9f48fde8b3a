"""Names and defaults of the zh commands: constants the command line shows in its help, kept free of numpy and pandas so that `--help` answers at once;
the modules that act on them import them from here."""

DISTANCES = ("chars", "tokens")
DEFAULT_MAX_DISTANCE = 0.5  # zh label leaves clauses farther than this from every medoid unassigned
SECTION_CHOICES = ("diagnosis", "all")
KMEDOIDS_CHOICES = ("kmedoids", "sklearn-extra")  # zh mine --kmedoids (not an archive engine)
OVERRIDES_FILE = "clause_overrides.csv"
ALL_CORES = -1  # distance threads: rapidfuzz's word for every core
# The label map's cluster_id for the finding parts farther than --max-distance from every medoid: labelled `-`
# (none) until a reviewer names them, as a hospital whose labels end in "other" would.
UNASSIGNED_ROW = "unassigned"
