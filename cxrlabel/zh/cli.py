"""`cxrlabel zh …` subcommands (placeholder until the miner lands)."""
import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `zh` command group to the cxrlabel parser."""
