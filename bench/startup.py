#!/usr/bin/env python3
"""Cold start and peak memory of clinic-tui on the 100k-resident database, against bare Textual.

    make bench-data                        # once: writes bench/data/large.db
    .venv/bin/python bench/startup.py      # pins itself (and so every child) to CPU 0

Every measurement is a fresh child process (cold imports; the OS page cache is warm), started by
this script as ``startup.py --child KIND``. All contenders run the same way: ``App.run(headless=True,
size=(80, 24))``, so the frames are composed and rendered but not written to a terminal. Times run
from the moment the parent spawns the child (``perf_counter`` is CLOCK_MONOTONIC, shared by both
processes), so interpreter start-up counts for everyone alike. The contenders:

  minimal     a Textual app with Header, Label and Footer; time of its first frame
  floor       the same app after also importing textual, sqlmodel and httpx (the "stack floor")
  first       clinic-tui (``clinic_tui.cli.main --db COPY``): first frame, the shell with its keys
  dashboard   clinic-tui, driven by Textual's autopilot: picks the first staff member without a
              PIN on the login screen (Enter); the time is taken right after the refresh that
              puts the dashboard's data (its five counts) on the screen; then F3, types a query and
              waits for the results (peak RSS); then Enter opens the first resident's page and F7,
              as soon as the page is there, the new visit form: the first form a doctor opens
              after signing in, shown (its title names the resident, its first field has the cursor)
  form_floor  the stack floor's app whose first screen is a form of the same fields (Textual's
              Label and Input, one row each, and the diagnosis picker's input and list); its first
              frame: what showing that form costs the stack, with no database and no app around it

After the table of medians it times the database worker's steps one by one in a plain process
(``--child phases``) and lists the heaviest imports of both paths (``python -X importtime``), to
show what dominates.

"First frame" is Textual's Ready event: the first screen has been laid out and rendered and the
message loop takes keys. Peak RSS is the child's own ``ru_maxrss`` (all its threads).
The database is a private copy of large.db in a temporary directory; one untimed warm-up start
migrates it and makes the day's backup, so the timed starts are a clinic's ordinary start.
"""

from __future__ import annotations

import os
import sys
import time

T_TOP = time.perf_counter()  # the first thing a child does (after the interpreter's own start-up)

SIZE = (80, 24)
QUERY = "zw"  # pinyin initials: one of the common searches (bench/search.py times every kind)


# --- the child: one contender, one start ----------------------------------------------------------


def _report(event: str, **extra) -> None:
    import json
    import resource

    now = time.perf_counter()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    # CPU of the whole process (every thread) since it started: on a loaded machine the wall-clock
    # times swell with the load while this stays close to what a quiet machine's wall clock shows.
    cpu = time.process_time()
    line = {"event": event, "t": now, "since_top": now - T_TOP, "cpu": cpu, "rss_kib": rss_kib, **extra}
    print(json.dumps(line), flush=True)


def _headless(app_class, auto_pilot=None) -> None:
    """Make ``app_class.run`` headless at 80x24 and report its first frame (Textual's Ready event)."""
    from textual import events
    from textual._context import message_hook

    def hook(message) -> None:
        if isinstance(message, events.Ready):
            _report("first_frame")
            if auto_pilot is None:
                os._exit(0)  # the first frame is all we wanted; do not wait for workers

    real_run = app_class.run

    def run(self, *args, **kwargs):
        message_hook.set(hook)  # copied into the app's asyncio context by asyncio.run
        return real_run(self, headless=True, size=SIZE, auto_pilot=auto_pilot)

    app_class.run = run


def _minimal_app(stack: bool) -> None:
    if stack:
        import httpx  # noqa: F401
        import sqlmodel  # noqa: F401
    from textual.app import App
    from textual.widgets import Footer, Header, Label

    class Minimal(App):  # Textual's own bindings: Ctrl+Q quits, Ctrl+P opens the palette
        def compose(self):
            yield Header()
            yield Label("hello")
            yield Footer()

    _headless(Minimal)
    Minimal().run()


# The visit form's fields (screens/visit_form.py), as the form floor shows them.
VISIT_FIELDS = (
    "日期 *",
    "时间 *",
    "就诊方式 *",
    "主诉",
    "收缩压",
    "舒张压",
    "心率",
    "体温",
    "体重",
    "身高",
    "血糖",
    "血糖类型",
    "诊断",
    "处理",
    "处方",
    "费用(元)",
    "转诊 *",
)


def _minimal_form() -> None:
    """The stack floor's app, its first screen the visit form's rows: a title, a label, a one-line
    input and a message line per field, the diagnosis picker's input and list, header and footer."""
    import httpx  # noqa: F401
    import sqlmodel  # noqa: F401
    from textual.app import App
    from textual.containers import Horizontal, VerticalScroll
    from textual.widgets import Footer, Header, Input, Label, OptionList, Static

    class MinimalForm(App):
        CSS = "Horizontal { height: auto; } .label { width: 14; } .message { width: 1fr; }"

        def compose(self):
            yield Header()
            yield Static("门诊记录 · 张伟 男 45岁")
            with VerticalScroll():
                for label in VISIT_FIELDS:
                    with Horizontal():
                        yield Label(label, classes="label")
                        yield Input(compact=True)
                        yield Static("", classes="message")
                yield Input(placeholder="诊断: 编码或拼音")
                yield OptionList(compact=True)
            yield Static("")
            yield Footer()

        def on_mount(self) -> None:
            self.query_one(Input).focus()

    _headless(MinimalForm)
    MinimalForm().run()


async def _until(condition, timeout: float = 120.0) -> None:
    import asyncio

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.002)


async def _painted(screen) -> None:
    """Wait until ``screen`` has been refreshed once more (what was just set is on the frame)."""
    import asyncio

    done = asyncio.Event()
    screen.call_after_refresh(done.set)
    await done.wait()


def _screen_is(app, name: str) -> bool:
    return type(app.screen).__name__ == name


def _keys(app, *keys: str) -> None:
    """Send keys as a terminal does: each goes to the app at once. (Pilot's ``press`` also waits
    after each key until the process's CPU is idle, up to a second per wait: with the ORM loading
    in the background after the dashboard, that wait, not the app, made most of the first search's
    time in this benchmark's figures before 2026-12-03.)"""
    from textual import events

    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)


async def _drive_to_dashboard_and_search(pilot) -> None:
    app = pilot.app
    await _until(lambda: _screen_is(app, "LoginScreen"))
    login = app.screen
    without_pin = next(i for i, member in enumerate(login.staff.values()) if not member.has_pin)
    # The sign-in's keys as a terminal sends them, once the staff list has the cursor. Until
    # 2026-12-03 they went by Pilot's press, which after each key sleeps until the process has been
    # idle for a 20 ms tick, twice: the app sat idle about 40 ms per Down before the Enter was
    # sent, counted in (d) and beyond (the wall-clock time of (d) above its CPU time, which the
    # stack floor does not show).
    await _until(lambda: login.is_mounted and app.focused is not None and app.focused.id == "login-staff")
    staff_list = app.focused
    _keys(app, *["down"] * without_pin)
    # Enter once the highlight is there, as a person presses it: the login screen takes Enter the
    # moment it arrives (a priority binding), ahead of a Down still queued for the list.
    await _until(lambda: staff_list.highlighted == without_pin)
    _keys(app, "enter")
    await _until(lambda: _DASHBOARD_PAINTED)

    if not _screen_is(app, "DashboardScreen"):  # unsaved forms offered back: later
        _keys(app, "escape")
        await _until(lambda: _screen_is(app, "DashboardScreen"))
    _keys(app, "f3")
    # The query is typed once the search box is there and has the cursor, as a person types it.
    await _until(lambda: _screen_is(app, "ResidentsScreen") and app.screen.is_mounted and app.focused is not None)
    _keys(app, *QUERY)
    table = app.screen.query_one("#results")
    await _until(lambda: table.row_count > 0 and app.screen.query_text == QUERY)
    await _painted(app.screen)
    _report("search", rows=table.row_count)

    # The first form: Enter opens the first resident's page, F7 (as soon as the page is there)
    # the new visit form; it is shown once its title names the resident and a field has the cursor.
    from textual.widgets import Input

    _keys(app, "enter")
    await _until(lambda: _screen_is(app, "ResidentScreen") and app.screen.is_mounted)
    _keys(app, "f7")
    await _until(
        lambda: _screen_is(app, "VisitFormScreen") and app.screen.is_mounted and isinstance(app.focused, Input)
    )
    await _painted(app.screen)
    _report("form", title=str(app.screen.query_one(".form-title").render()))
    app.exit()


_DASHBOARD_PAINTED: list[bool] = []


def _report_dashboard_painted() -> None:
    """Report the refresh that puts the dashboard's data on the screen (its five counts and the
    first list). Registered before the data is shown, so it runs right after that refresh, before
    anything the app starts once the dashboard is up (the background load of the ORM)."""
    from clinic_tui.screens.dashboard import DashboardScreen

    real_show = DashboardScreen._show

    def show(screen, data) -> None:
        def painted() -> None:
            if not _DASHBOARD_PAINTED and screen.query_one("#sections").option_count == 5:
                _report("dashboard", visits_today=len(data.visits_today))
                _DASHBOARD_PAINTED.append(True)

        screen.call_after_refresh(painted)
        real_show(screen, data)

    DashboardScreen._show = show


def _clinic_tui(database: str, drive: bool) -> None:
    from textual.app import App

    _headless(App, _drive_to_dashboard_and_search if drive else None)
    if drive:
        _report_dashboard_painted()
    from clinic_tui.cli import main

    main(["--db", database])


def _phases(database: str) -> None:
    """The database work between the first frame and the filled dashboard, step by step, in one
    thread (the app does it in its worker): what dominates the wait."""
    import sqlite3
    from datetime import date
    from pathlib import Path

    import httpx  # noqa: F401  (the stack floor's imports are not the app's to answer for)
    import sqlmodel  # noqa: F401

    steps = {}

    def step(name, fn):
        started = time.perf_counter()
        result = fn()
        steps[name] = (time.perf_counter() - started) * 1000
        return result

    def data_layer():
        import clinic_tui.data.diagnoses
        import clinic_tui.data.drafts
        import clinic_tui.data.startup
        import clinic_tui.data.store  # noqa: F401

    step("import the ORM data layer (models, store; an ordinary start loads it after the first search)", data_layer)
    from clinic_tui.config import Settings
    from clinic_tui.data.db import unit_of_work
    from clinic_tui.data.diagnoses import ensure_builtin_catalog
    from clinic_tui.data.maintenance import daily_backup
    from clinic_tui.data.migrate import open_database
    from clinic_tui.data.startup import mark_clean_exit, open_as_is
    from clinic_tui.data.store import Store

    path = Path(database)
    connection = sqlite3.connect(path)
    step("PRAGMA quick_check alone", lambda: connection.execute("PRAGMA quick_check").fetchone())
    connection.close()
    taken = step(
        "open_as_is: what an ordinary start does (plain SQLite checks, marker cleared)",
        lambda: open_as_is(Settings(database=path)),
    )
    if taken is None:
        raise RuntimeError("the bench copy was not quit cleanly: the ordinary start was not measured")
    mark_clean_exit(path)
    opened = step(
        "prepare_database path: open_database after a clean exit", lambda: open_database(path, full_check=False)
    )
    step(
        "prepare_database path: daily_backup (today's exists: rotation only)",
        lambda: daily_backup(path, path.parent / "backups"),
    )

    def catalogue():
        with unit_of_work(opened.engine) as session:
            ensure_builtin_catalog(session)

    step("prepare_database path: ensure_builtin_catalog (fingerprint compared)", catalogue)
    store = Store(opened.path, opened.engine)
    step(
        "Store: clinic, staff, sync summary (plain SQLite)",
        lambda: (store.clinic(), store.staff(), store.sync_summary()),
    )
    step("Store.dashboard(today) (plain SQLite)", lambda: store.dashboard(date.today()))
    step(f"store.residents.search({QUERY!r}) (plain SQLite)", lambda: store.residents.search(QUERY, limit=50))
    _report("phases", steps=steps)


def child(kind: str, database: str) -> None:
    sys.path.pop(0)  # bench/ itself: nothing of ours may shadow a library
    if kind == "phases":
        _phases(database)
    elif kind in ("minimal", "floor"):
        _minimal_app(stack=kind == "floor")
    elif kind == "form_floor":
        _minimal_form()
    elif kind in ("first", "dashboard"):
        _clinic_tui(database, drive=kind == "dashboard")
    else:
        raise SystemExit(f"unknown child kind {kind!r}")


# --- the parent: runs, medians, the table ------------------------------------------------------------

TARGETS = {  # measure: (what, against, at most; None: measured, no goal set yet). Issue 19's goals.
    "first frame": ("first", "minimal", 1.10),
    "dashboard filled": ("dashboard", "floor", 1.00),
    "first resident search shown": ("search", "floor", 1.30),
    "first form (new visit) shown": ("form", "form_floor", None),
    "peak RSS after search": ("search_rss", "floor_rss", 1.20),
}


EXPECTED = {  # what each kind of child reports
    "minimal": {"first_frame"},
    "floor": {"first_frame"},
    "first": {"first_frame"},
    "form_floor": {"first_frame"},
    "dashboard": {"first_frame", "dashboard", "search", "form"},
    "phases": {"phases"},
}


def run_child(kind: str, database: str, env: dict[str, str]) -> dict[str, dict]:
    import json
    import subprocess

    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, database],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    events = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            event["from_spawn"] = event["t"] - started
            events[event["event"]] = event
    missing = EXPECTED[kind] - events.keys()
    if missing:
        raise RuntimeError(
            f"child {kind} did not report {sorted(missing)} (exit {result.returncode}):\n{result.stderr[-3000:]}"
        )
    return events


def measure(database: str, first_frame_database: str, runs: int, env: dict[str, str]) -> dict[str, list[dict]]:
    samples: dict[str, list[dict]] = {"minimal": [], "floor": [], "form_floor": [], "first": [], "dashboard": []}
    for _ in range(runs):  # round robin, so a slow moment of the machine hits every contender
        for kind, runs_of_kind in samples.items():
            runs_of_kind.append(run_child(kind, first_frame_database if kind == "first" else database, env))
    return samples


def medians(samples: dict[str, list[dict]]) -> dict[str, dict[str, float]]:
    from statistics import median

    def pick(kind: str, event: str, field: str) -> float:
        return median(run[event][field] for run in samples[kind])

    out = {}
    for name, kind, event in [
        ("minimal", "minimal", "first_frame"),
        ("floor", "floor", "first_frame"),
        ("first", "first", "first_frame"),
        ("dashboard", "dashboard", "dashboard"),
        ("search", "dashboard", "search"),
        ("form_floor", "form_floor", "first_frame"),
        ("form", "dashboard", "form"),
    ]:
        spawn = [run[event]["from_spawn"] * 1000 for run in samples[kind]]
        out[name] = {
            "ms": pick(kind, event, "from_spawn") * 1000,
            "in_child_ms": pick(kind, event, "since_top") * 1000,
            "cpu_ms": pick(kind, event, "cpu") * 1000,
            "rss_mib": pick(kind, event, "rss_kib") / 1024,
            "min": min(spawn),
            "max": max(spawn),
        }
    return out


def table(m: dict[str, dict[str, float]]) -> tuple[str, bool]:
    rows = [
        ("(a) minimal app: first frame", m["minimal"]),
        ("(c) stack floor: first frame", m["floor"]),
        ("(b) clinic-tui: first frame", m["first"]),
        ("(d) clinic-tui: dashboard filled", m["dashboard"]),
        (f"(e) clinic-tui: search '{QUERY}' shown", m["search"]),
        ("(g) form floor: first frame", m["form_floor"]),
        ("(f) clinic-tui: new visit form shown", m["form"]),
    ]
    lines = [
        "| moment (median) | from spawn | runs from spawn | in child | CPU in child | peak RSS |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {label} | {v['ms']:.0f} ms | {v['min']:.0f}-{v['max']:.0f} ms | {v['in_child_ms']:.0f} ms "
        f"| {v['cpu_ms']:.0f} ms | {v['rss_mib']:.1f} MiB |"
        for label, v in rows
    ]
    values = {
        name: m[name]["ms"] for name in ("first", "minimal", "dashboard", "floor", "search", "form", "form_floor")
    }
    values.update(search_rss=m["search"]["rss_mib"], floor_rss=m["floor"]["rss_mib"])
    cpu = {name: m[name]["cpu_ms"] for name in values if name in m}
    lines += [
        "",
        "| target | ratio | (by CPU) | at most | result |",
        "|---|---:|---:|---:|---|",
    ]
    all_met = True
    for name, (what, against, limit) in TARGETS.items():
        ratio = values[what] / values[against]
        by_cpu = f"{cpu[what] / cpu[against]:.2f}x" if what in cpu and against in cpu else ""
        met = limit is None or ratio <= limit
        all_met &= met
        result = "measured" if limit is None else "met" if met else "MISSED"
        at_most = "-" if limit is None else f"{limit:.2f}x"
        lines.append(f"| {name} ({what} / {against}) | {ratio:.2f}x | {by_cpu} | {at_most} | {result} |")
    return "\n".join(lines), all_met


def phase_table(runs: list[dict]) -> str:
    from statistics import median

    names = list(runs[0]["phases"]["steps"])
    lines = ["| step of the database worker (one thread, median of 3 fresh processes) | time |", "|---|---:|"]
    lines += [f"| {name} | {median(r['phases']['steps'][name] for r in runs):.0f} ms |" for name in names]
    return "\n".join(lines)


def _outer_imports_us(code: str, env: dict[str, str] | None = None) -> dict[str, int]:
    """Cumulative time of each import that ``code`` itself makes (not nested ones), ``-X importtime``."""
    import subprocess

    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env, check=False
    )
    times = {}
    for line in result.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[1].strip().isdigit() and not fields[2].startswith("  "):
            times[fields[2].strip()] = int(fields[1])  # an outermost import: what the code asked for
    return times


def import_profile(title: str, base: str, ours: str, top: int, env: dict[str, str] | None = None) -> str:
    """The heaviest imports ``ours`` makes after ``base`` has run, each with everything it pulls in."""
    before = _outer_imports_us(base, env)
    extra = sorted(
        ((us, n) for n, us in _outer_imports_us(f"{base}\n{ours}", env).items() if n not in before), reverse=True
    )
    lines = [f"{title} {sum(us for us, _ in extra) / 1000:.0f} ms in all"]
    lines += [f"{us / 1000:8.1f} ms  {name}" for us, name in extra[:top]]
    return "\n".join(lines)


MINIMAL_IMPORTS = "import textual.app, textual.widgets; from textual.widgets import Header, Label, Footer"
FLOOR_IMPORTS = f"{MINIMAL_IMPORTS}\nimport sqlmodel, httpx"
# As an ordinary start reads its command line (no command: the app's own options only).
FIRST_FRAME_IMPORTS = "import clinic_tui.cli, clinic_tui.app; clinic_tui.cli.parse([])"
DASHBOARD_WORK = f"""
import datetime, pathlib, sys
import clinic_tui.app, clinic_tui.screens.login, clinic_tui.screens.dashboard
from clinic_tui.config import Settings
from clinic_tui.data.startup import prepare_database
from clinic_tui.data.drafts import DraftStore
from clinic_tui.data.store import Store
opened = prepare_database(Settings(database=pathlib.Path(sys.argv[1])))
store = Store(opened.path, opened.engine)
store.staff(); store.dashboard(datetime.date.today()); store.residents.search("{QUERY}", limit=50)
"""


def main() -> int:
    import argparse
    import shutil
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description="clinic-tui start-up time and peak memory")
    parser.add_argument("--db", type=Path, default=root / "bench/data/large.db")
    parser.add_argument("--runs", type=int, default=7, help="timed starts per contender (median)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to CPU 0")
    parser.add_argument("--keep", type=Path, help="use (and keep) this working copy instead of a temporary one")
    args = parser.parse_args()
    if not args.db.exists():
        print(f"{args.db} is missing: run `make bench-data` first", file=sys.stderr)
        return 2
    if not args.no_pin and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # children inherit it: every thread of every child on CPU 0

    work = Path(tempfile.mkdtemp(prefix="clinic-startup-"))
    try:
        copy = args.keep or work / "db" / "clinic.db"
        if not copy.exists():
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(args.db, copy)
        # The user's directories as platformdirs finds them (as for a real user), but empty ones.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_TUI_")}
        env.update(XDG_CONFIG_HOME=str(work / "config"), XDG_DATA_HOME=str(work / "data"))
        print(
            f"database: copy of {args.db} ({copy.stat().st_size / 2**20:,.0f} MiB); {args.runs} runs per "
            f"contender; pinned to CPU 0: {not args.no_pin}; Python {sys.version.split()[0]}",
            flush=True,
        )
        warm = run_child("dashboard", str(copy), env)  # migrates the copy, makes today's backup, warms .pyc
        print(
            f"warm-up start (upgrade, integrity check, catalogue, daily backup of the copy): dashboard after "
            f"{warm['dashboard']['from_spawn']:.1f} s",
            flush=True,
        )
        # First-frame children are killed at their first frame: to the app that is a crash, after
        # which the next start checks the whole file. They get a copy of their own, so the timed
        # dashboard starts are what a clinic sees after the app was quit normally.
        first_copy = work / "db-first" / "clinic.db"
        first_copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(copy, first_copy)
        os.sync()  # the copies and backups written, so no write-back runs under the timed starts
        run_child("dashboard", str(copy), env)
        samples = measure(str(copy), str(first_copy), args.runs, env)
        text, all_met = table(medians(samples))
        print()
        print(text)
        print()
        print(phase_table([run_child("phases", str(copy), env) for _ in range(3)]))
        print()
        print(
            import_profile(
                "Imports on the first-frame path, on top of the minimal app's:",
                MINIMAL_IMPORTS,
                FIRST_FRAME_IMPORTS,
                top=6,
            )
        )
        print()
        print(
            import_profile(
                "Imports on the way to the dashboard and a search, on top of the stack floor's:",
                FLOOR_IMPORTS,
                DASHBOARD_WORK.replace("sys.argv[1]", repr(str(copy))),
                top=8,
                env=env,
            )
        )
        return 0 if all_met else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(main())
