"""A mapping given on the command line replaces the default one (trial 7: Hydra merged it).

``caps.region={arousal:[3,7]}`` kept the default region's ``valence`` box (and failed a run without
valence); a new key (``dominance``) was refused as "not in struct"; ``data.rename={label:text}`` too.
"""

from __future__ import annotations

import pytest

from lic_gpu.app.config import check_options, compose_config, config_dir, plain_config
from lic_gpu.app.config_check import check_overrides
from lic_gpu.errors import LicGpuError


def _caps(*overrides: str) -> dict:
    return check_options(plain_config(compose_config(["caps=rectangle", *overrides]))).caps


def test_the_default_region_is_the_notebooks_box():
    caps = _caps("emotion=[arousal,valence]")
    assert caps["region"] == {"valence": [2, 5], "arousal": [3, 6]}
    assert "notebook_region" not in caps


@pytest.mark.parametrize(
    "override, region",
    [
        ("caps.region={arousal:[3,7]}", {"arousal": [3, 7]}),
        ("caps.region={joy:[2,6],arousal:[3,7]}", {"joy": [2, 6], "arousal": [3, 7]}),
        ("+caps.region.joy=[2,6]", {"joy": [2, 6]}),
        ("caps.notebook_region.arousal=[1,7]", {"valence": [2, 5], "arousal": [1, 7]}),
    ],
)
def test_a_region_given_replaces_the_default(override, region):
    assert _caps("emotion=[arousal,valence,joy]", override)["region"] == region


def test_one_key_of_the_null_region_gets_a_hint():
    with pytest.raises(LicGpuError, match=r"caps.region is null .*'caps.region=\{arousal:\[3,7\]\}'") as info:
        check_overrides(["caps=rectangle", "caps.region.arousal=[3,7]"], "augment", config_dir())
    assert "\n" not in str(info.value)


def test_rename_given_whole_is_taken():
    cfg = compose_config(["data=csv", "data.path=my.csv", "data.rename={label:text}"])
    assert dict(cfg.data.rename) == {"label": "text"}
    with pytest.raises(LicGpuError, match=r"data.rename is null; give it whole, 'data.rename=\{label:text\}'"):
        check_overrides(["data=csv", "data.rename.label=text"], "augment", config_dir())


def test_a_sweep_folder_names_the_swept_values_first(monkeypatch):
    from lic_gpu.app.schema import SWEPT_KEYS_ENV, _safe_name, note_swept_keys

    monkeypatch.setenv(SWEPT_KEYS_ENV, "")  # note_swept_keys sets it: put back (unset) after the test
    task = [
        "data.id_columns=[speaker,session,seg_no]",
        "data.text_column=transcript",
        "data=csv",
        "emotion=arousal",
        "data.path=/home/someone/segments.csv",
    ]
    # trial 7: sorted, the emotion came after 80 characters of other overrides and was cut off
    assert "emotion" not in _safe_name(task)
    note_swept_keys(["-m", "data=csv", "data.id_columns=[speaker,session,seg_no]", "emotion=arousal,valence"])
    assert _safe_name(task).startswith("emotion=arousal,data.id_columns=")
    note_swept_keys(["data=csv", "emotion=arousal"])  # a single run sets nothing
    assert _safe_name(task).startswith("emotion=arousal,")
    monkeypatch.setenv(SWEPT_KEYS_ENV, "")
    note_swept_keys(["--multirun", "emotion=[arousal,valence]", "seed=1,2"])  # a list is one value; seed is swept
    assert _safe_name(["emotion=[arousal,valence]", "seed=1"]) == "seed=1,emotion=_arousal,valence_"
