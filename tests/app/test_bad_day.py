"""The app on a bad day: a backup that fails its check is put aside and the doctor is told."""

from __future__ import annotations

import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

from pilot_helpers import wait_for

from clinic_tui import i18n
from clinic_tui.app import ClinicApp
from clinic_tui.config import EXAMPLE_DATABASE, Settings
from clinic_tui.data.startup import mark_clean_exit, prepare_database

sys.path.insert(0, str(Path(__file__).parent.parent / "data"))
from damage import damage_garbage_page


async def test_a_backup_that_fails_its_check_is_put_aside_and_the_doctor_told(tmp_path: Path):
    db = tmp_path / "clinic.db"
    shutil.copyfile(EXAMPLE_DATABASE, db)
    settings = Settings(database=db, language="en")
    prepare_database(settings, app_session=True).engine.dispose()
    mark_clean_exit(db)
    folder = settings.backup_dir()
    yesterday = folder / f"clinic-{date.today() - timedelta(days=1):%Y%m%d}.db"
    next(folder.glob("clinic-*.db")).replace(yesterday)  # the last good backup is yesterday's
    good = yesterday.read_bytes()
    damage_garbage_page(db)
    i18n.set_language("en")  # what clinic_tui.cli.main does with the setting
    app = ClinicApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: any("failed its check" in n.message for n in app._notifications))
        message = next(n for n in app._notifications if "failed its check" in n.message)
        assert "rejected" in message.message and "db restore" in message.message and message.severity == "error"
    assert [p.name for p in folder.glob("clinic-*.db")] == [yesterday.name] and yesterday.read_bytes() == good
    assert len(list((folder / "rejected").glob("clinic-*.db"))) == 1
