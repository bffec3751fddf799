"""Kill -9 the delivery worker many times while changes flow; what it costs.

Runs the fault test ``tests/integration/faults/test_fault_kill_worker.py``
(a real `crossdock serve` worker, a recording receiver on loopback, SIGKILL
at random moments, restart, and the full check: receiver = canonical
projection, one effect per version after de-duplication, no entity out of
order) with ``--kills`` kills, more than CI's 5. Anchor, same run: the same
test with no kill. Prints unique versions delivered per second for both,
their ratio, the duplicates the kills caused, and a closing JSON line.

    python benchmarks/kill_worker.py              # 25 kills
    python benchmarks/kill_worker.py --kills 100
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

TEST = "tests/integration/faults/test_fault_kill_worker.py"
ROOT = Path(__file__).resolve().parent.parent


def run(kills: int) -> dict[str, float]:
    print(f"running the fault test with {kills} kills ...", file=sys.stderr, flush=True)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", TEST, "-q", "-s", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env={**os.environ, "CROSSDOCK_FAULT_KILLS": str(kills)},
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    found = re.search(r"kills=(\d+) arrivals=(\d+) unique=(\d+) duplicates=(\d+)", done.stdout)
    if done.returncode != 0 or found is None:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-2000:])
        raise SystemExit(f"the fault test failed with {kills} kills")
    _, arrivals, unique, duplicates = (int(g) for g in found.groups())
    return {
        "seconds": elapsed,
        "arrivals": arrivals,
        "unique": unique,
        "duplicates": duplicates,
        "unique_per_s": unique / elapsed,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=25)
    args = ap.parse_args()
    killed = run(args.kills)
    calm = run(0)
    ratio = killed["unique_per_s"] / calm["unique_per_s"]
    print(
        f"{args.kills} kills: {killed['unique']:,} versions in {killed['seconds']:.1f}s "
        f"({killed['unique_per_s']:,.0f}/s), {killed['duplicates']:,} re-sent duplicates"
    )
    print(
        f"no kill:  {calm['unique']:,} versions in {calm['seconds']:.1f}s "
        f"({calm['unique_per_s']:,.0f}/s); ratio {ratio:.2f}"
    )
    print(
        json.dumps(
            {
                "benchmark": "delivery_under_kill_9",
                "value": round(killed["unique_per_s"]),
                "unit": "unique versions/s (whole fault test, every check passed)",
                "anchor": "the same fault test with no kill",
                "anchor_value": round(calm["unique_per_s"]),
                "ratio": round(ratio, 3),
                "kills": args.kills,
                "duplicates": killed["duplicates"],
            }
        )
    )


if __name__ == "__main__":
    main()
