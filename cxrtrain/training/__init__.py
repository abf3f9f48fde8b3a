"""`cxrtrain fit`: the options, the run folder, checkpoints, the epoch loop and the run's final scoring."""
