"""The network, its losses and output probabilities, and the optimisers with their schedules."""
