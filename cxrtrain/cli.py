"""The `cxrtrain` command."""
import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="cxrtrain", description="Train chest X-ray classifiers.").parse_args(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
