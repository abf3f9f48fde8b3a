"""`make bench`: every benchmark in turn; one that fails is reported and the rest still run."""
from __future__ import annotations

import importlib
import sys
import time
import traceback

BENCHMARKS = ("bench.labeler", "bench.startup", "bench.openi", "bench.review", "bench.conventions", "bench.peers", "bench.peer_speed", "bench.archive", "bench.zh", "bench.train")


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        try:
            importlib.import_module(name).main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"({name}: {time.perf_counter() - start:.0f} s)", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
