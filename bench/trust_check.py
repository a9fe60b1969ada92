#!/usr/bin/env python3
"""Time an ordinary start's database step (``open_as_is``) on a copy of the demo database.

    .venv/bin/python bench/trust_check.py [REPEATS]

The CPU time (``process_time``) is the steadier figure on a shared machine.

An ordinary start: quit cleanly last time, schema current, today's backup made. Each repeat marks
the clean exit again (untimed) and times ``open_as_is``; then the same in fresh processes
(imports included). Prints medians in milliseconds.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys, time
t0 = time.perf_counter()
from clinic_tui.config import Settings
from clinic_tui.data.startup import open_as_is, mark_clean_exit
from pathlib import Path
db = Path(sys.argv[1])
assert open_as_is(Settings(database=db)) == db
print(time.perf_counter() - t0)
mark_clean_exit(db)
"""


def main() -> None:
    from clinic_tui.config import EXAMPLE_DATABASE, Settings
    from clinic_tui.data.startup import mark_clean_exit, open_as_is, prepare_database

    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "clinic.db"
        shutil.copyfile(EXAMPLE_DATABASE, db)
        settings = Settings(database=db)
        prepare_database(settings, app_session=True).engine.dispose()
        mark_clean_exit(db)
        times, cpu = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            assert open_as_is(settings) == db
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            mark_clean_exit(db)
        fresh = []
        for _ in range(max(5, repeats // 20)):
            out = subprocess.run([sys.executable, "-c", CHILD, str(db)], capture_output=True, text=True, check=True)
            fresh.append(float(out.stdout))
    print(
        f"open_as_is in process: median {statistics.median(times) * 1000:.2f} ms "
        f"(min {min(times) * 1000:.2f}, {repeats} runs); CPU median {statistics.median(cpu) * 1000:.2f} ms"
    )
    print(
        f"fresh process, imports + open_as_is: median {statistics.median(fresh) * 1000:.1f} ms "
        f"(min {min(fresh) * 1000:.1f}, {len(fresh)} runs)"
    )


if __name__ == "__main__":
    main()
