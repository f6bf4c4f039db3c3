"""Messy files and command lines a researcher brings (trial 8): each gets one line that says what to do."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lic_gpu.app.entry import _group_options_hint
from lic_gpu.errors import LicGpuError
from lic_gpu.io.tables import read_table

from helpers import ROOT


def test_a_workbook_is_named_as_one(tmp_path):
    import zipfile

    path = tmp_path / "posts.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(LicGpuError, match="is a spreadsheet workbook .* save it as CSV") as info:
        read_table(path)
    assert "encoding" not in str(info.value)


def test_a_semicolon_file_read_with_commas_names_the_delimiter_quoted_for_the_shell(tmp_path):
    path = tmp_path / "posts.csv"
    rows = ["id;text;valence", "1;a quiet day;4", "2;a good day;5", "3;tired, but fine;4"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(LicGpuError, match=r"""the header line holds 2 ';': set "data.sep=';'\""""):
        read_table(path)


def test_a_group_option_typo_lists_the_options():
    hint = _group_options_hint("data", "cvs")
    assert "data= options are ['csv', 'demo', 'emobank', 'seed_csv']" in hint and "did you mean data=csv?" in hint


@pytest.mark.slow
def test_an_override_hydra_cannot_read_says_how_to_quote_it(tmp_path):
    res = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "augment.py"), "data.sep=;"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr
    (line,) = [x for x in res.stderr.splitlines() if x.strip()]
    assert "LexerNoViableAltException: data.sep=;" in line and """"data.sep=';'\"""" in line
