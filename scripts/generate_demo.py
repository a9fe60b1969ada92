#!/usr/bin/env python3
"""Write the demo database (local.db.example) or the large benchmark database.

    python scripts/generate_demo.py --out local.db.example
    python scripts/generate_demo.py --large --out bench/data/large.db   # 100k residents, 1M visits

The output depends only on --seed and --today: run it twice, get the same records.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo.build import LARGE, SMALL, Size, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--large", action="store_true", help="100,000 residents and 1,000,000 visits")
    parser.add_argument("--residents", type=int, help="override the number of residents")
    parser.add_argument("--visits", type=int, help="override the number of visits")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument(
        "--today", type=date.fromisoformat, default=date(2026, 11, 20), help="the day the data is 'as of' (YYYY-MM-DD)"
    )
    args = parser.parse_args(argv)
    size = LARGE if args.large else SMALL
    if args.residents or args.visits:
        size = Size(args.residents or size.residents, args.visits or size.visits, size.referrals_per_status, size.audit)
    started = time.perf_counter()
    counts = generate(args.out, size, seed=args.seed, today=args.today)
    for table, count in sorted(counts.items()):
        print(f"{table:16} {count:>9,}")
    print(f"wrote {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
