"""Benchmark: moving a 2 MB ECG PDF attached to a remote request over a rural link (issue 18),
against what the link itself allows.

    .venv/bin/python bench/attachment_upload.py                        # 2 MB, 100 kbit/s, 300 ms, 3 runs
    .venv/bin/python bench/attachment_upload.py --mb 2 5 --kbit 100 --latency-ms 300 --repeat 5

A clinic database (a few records, synced once over a clear link) writes an urgent ECG read with a
PDF of ``--mb`` megabytes (an ECG drawn as vectors, padded with random bytes: a scan does not
compress, and the hub never compresses it either), then syncs with a real hub (``clinic-hub
serve``, SQLite) through the fault proxy of the sync tests, throttled: at most ``--kbit`` each
way, ``--latency-ms`` added each way, ``--handshake-rtts`` round trips before a new connection
carries data. The sync pushes the request, pulls, then uploads the file in 256 KiB chunks.

The upload's time is from the sync's first attachment progress report (after the records) to its
last (the hub verified the file). The limit is what no protocol can beat on that link: every byte
of the attachment exchanges that crossed (up and down, as the proxy counted them) at the link's
rate, plus one round trip. The ratio is the upload's time over that limit; the per-chunk round
trips (one exchange per chunk, sent one after the other) are what it costs above the limit.

Not a test: run it on a quiet machine (``uptime`` below 0.5) and copy the figures, with the load,
into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "sync" / "faults"))

import sync as sync_bench  # noqa: E402  (the hub helpers of bench/sync.py)
from clinic_data import build_clinic_db  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402

from tests.hub.attachment_files import ecg_pdf  # noqa: E402

ATTACHMENTS = "/api/v1/attachments"


def one_run(workdir: Path, size: int, rate: float, latency: float, handshakes: int) -> dict:
    from sqlalchemy import select

    from clinic_tui.config import load_settings
    from clinic_tui.data.attachments import examine
    from clinic_tui.data.db import read_session
    from clinic_tui.data.migrate import open_database
    from clinic_tui.data.models import Resident, Staff
    from clinic_tui.data.remote_requests import submit
    from clinic_tui.sync.engine import run_sync

    run_dir = Path(tempfile.mkdtemp(dir=workdir))
    clinic_db = run_dir / "clinic.db"
    build_clinic_db(clinic_db, 20)
    hub_db, token = sync_bench.new_hub(run_dir)
    port = sync_bench.hub_push.free_port()
    serve = [sys.executable, "-m", "clinic_hub", "serve", "--db", hub_db, "--port", str(port)]
    engine = open_database(clinic_db).engine
    with sync_bench.served(serve, port, "/api/v1/health"):
        proxy = FaultProxy(("127.0.0.1", port))
        try:
            settings = replace(load_settings(), database=clinic_db, hub_url=proxy.url)
            first = run_sync(engine, settings, token=token)  # the day's records, over a clear link
            if first.outcome != "ok":
                raise RuntimeError(f"the first sync failed: {first.message}")
            pdf = run_dir / "ecg.pdf"
            pdf.write_bytes(ecg_pdf(size))
            with read_session(engine) as session:
                resident = session.execute(select(Resident).limit(1)).scalar_one()
                doctor = session.execute(select(Staff)).scalars().first()
            values = {
                "service": "ecg",
                "urgency": "urgent",
                "question": "胸痛 1 小时，请判读心电图",
                "consent": True,
                "attachments": [asdict(examine(str(pdf)))],
            }
            submit(engine, resident_id=resident.id, values=values, user_id=doctor.id)
            proxy.throttle(rate, latency, handshakes)
            before = len(proxy.exchanges)
            ticks: list[float] = []

            def progress(step) -> None:
                if step.phase == "attachments":
                    ticks.append(time.perf_counter())

            report = run_sync(engine, settings, token=token, progress=progress)
        finally:
            proxy.close()
    engine.dispose()
    if report.outcome != "ok" or report.uploads is None or report.uploads.files_done != 1:
        raise RuntimeError(f"the file did not arrive whole: {report.outcome} {report.message}")
    moved = [e for e in proxy.exchanges[before:] if e.path.startswith(ATTACHMENTS)]
    up = sum(e.request_bytes for e in moved)
    down = sum(e.response_bytes for e in moved)
    rtt = 2 * latency
    return {
        "seconds": ticks[-1] - ticks[0],
        "limit": rtt + (up + down) / rate,
        "up": up,
        "down": down,
        "exchanges": len(moved),
        "connections": proxy.connections,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, nargs="+", default=[2.0], help="PDF sizes, MiB")
    parser.add_argument("--kbit", type=float, default=100.0, help="link rate each way, kbit/s")
    parser.add_argument("--latency-ms", type=float, default=300.0, help="added each way")
    parser.add_argument(
        "--handshake-rtts", type=int, default=2, help="round trips before a new connection carries data"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the median is shown")
    args = parser.parse_args()
    rate, latency = args.kbit * 1000 / 8, args.latency_ms / 1000
    print(
        f"load average {os.getloadavg()[0]:.2f}; link {args.kbit:g} kbit/s, {args.latency_ms:g} ms each way, "
        f"{args.handshake_rtts} handshake round trips per connection"
    )
    with tempfile.TemporaryDirectory(prefix="attachment-upload-") as tmp:
        for mb in args.mb:
            size = int(mb * 1024 * 1024)
            runs = [one_run(Path(tmp), size, rate, latency, args.handshake_rtts) for _ in range(args.repeat)]
            seconds = statistics.median(r["seconds"] for r in runs)
            limit = statistics.median(r["limit"] for r in runs)
            last = runs[-1]
            each = ", ".join(f"{r['seconds']:.1f}" for r in runs)
            print(
                f"{size / 1024 / 1024:.1f} MiB PDF: upload {seconds:.1f} s (runs {each}), limit {limit:.1f} s "
                f"(bytes/bandwidth + 1 round trip), ratio {seconds / limit:.2f}x; {last['up'] / 1000:.1f} KB up, "
                f"{last['down'] / 1000:.1f} KB down, {last['exchanges']} exchanges, "
                f"{last['connections']} connection(s) in the whole sync"
            )


if __name__ == "__main__":
    main()
