"""The county lab's catalogue imported on the hub (``clinic-hub lab-catalogue import``): a good
file becomes a numbered version (on SQLite and PostgreSQL), the same bytes again make none, a
changed file the next; a bad file is refused with each line's problem and stores nothing; a GBK
file is read; the command line prints the versions and exits non-zero on a refusal."""

from __future__ import annotations

from importlib import resources

import pytest

from clinic_hub import lab_catalogue
from clinic_hub.cli import main
from clinic_tui.domain.lab_catalogue import LineProblem

SHIPPED = resources.files("clinic_tui.domain").joinpath("lab_catalogue.csv").read_bytes()


def test_a_catalogue_is_versioned_and_a_bad_one_stores_nothing(hub):
    with hub.engine.begin() as conn:
        before = len(lab_catalogue.versions(conn))
        first, items, new = lab_catalogue.import_catalogue(conn, SHIPPED, "cli:test")
        assert new and items == SHIPPED.decode("utf-8").count("\n") - 1
        assert lab_catalogue.import_catalogue(conn, SHIPPED, "cli:test") == (first, items, False)
        changed = SHIPPED.decode("utf-8") + "HCY,同型半胱氨酸,Homocysteine,serum,μmol/L,0,15,,\n"
        second, more, new = lab_catalogue.import_catalogue(conn, changed.encode("gbk"), "cli:test")
        assert (second, more, new) == (first + 1, items + 1, True)
        bad = SHIPPED.decode("utf-8") + "HCY,同型半胱氨酸,Homocysteine,plasma,μmol/L,15,0,,\n"
        with pytest.raises(lab_catalogue.CatalogueRefused) as refused:
            lab_catalogue.import_catalogue(conn, bad.encode(), "cli:test")
        line = bad.count("\n")
        assert refused.value.problems == [LineProblem(line, "catalogue_bad_specimen", "specimen")]
        assert len(lab_catalogue.versions(conn)) == before + 2
        assert lab_catalogue.versions(conn)[0].content == changed


def test_the_command_line_imports_and_lists_versions(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["migrate", "--db", url]) == 0
    good = tmp_path / "catalogue.csv"
    good.write_bytes(SHIPPED)
    assert main(["lab-catalogue", "import", "--db", url, str(good)]) == 0
    assert "lab catalogue version 1:" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,name_en,specimen,unit,low,high,critical_low,critical_high\nk+,血钾,K,serum,,,,,\n")
    assert main(["lab-catalogue", "import", "--db", url, str(bad)]) == 1
    assert "line 2, column code: catalogue_bad_code" in capsys.readouterr().err
    assert main(["lab-catalogue", "versions", "--db", url]) == 0
    assert capsys.readouterr().out.startswith("1\t")
    assert main(["lab-catalogue", "import", "--db", url, str(tmp_path / "missing.csv")]) == 2
