"""Chinese report label miner."""
