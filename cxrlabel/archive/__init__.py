"""Archive scale for every labeler: chunks labelled by an engine (this process, local workers or Dask),
saved as parts with a manifest, and a run identity that decides whether --resume may continue."""
