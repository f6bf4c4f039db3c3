"""sampling_strategy speaks imbalanced-learn's vocabulary, with the same meaning."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from lic_gpu.errors import LicGpuError
from lic_gpu.augment.strategy import check_sampling_strategy

SIZES = [{1: 5, 2: 40, 3: 12, 4: 3}, {"joy": 10, "anger": 10, "fear": 2}, {0: 7, 1: 7}]


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("strategy", ["auto", "not majority", "minority", "not minority", "all"])
def test_strings_mean_what_imbalanced_learn_means(strategy, sizes):
    from imblearn.utils import check_sampling_strategy as imblearn_check

    y = np.repeat(np.array(list(sizes), dtype=object), list(sizes.values()))
    theirs = imblearn_check(strategy, y, "over-sampling")
    ours = check_sampling_strategy(strategy, sizes)
    assert {c: n for c, n in ours.items() if c in theirs} == dict(theirs)
    assert all(n == 0 for c, n in ours.items() if c not in theirs)


def test_callable_gets_the_labels_and_returns_targets():
    seen = {}

    def half_way(y):
        seen.update(Counter(y))
        largest = max(seen.values())
        return {c: n + (largest - n) // 2 for c, n in seen.items()}

    assert check_sampling_strategy(half_way, {1: 10, 2: 4}) == {1: 0, 2: 3}
    assert seen == {1: 10, 2: 4}


def test_float_and_dict_as_before():
    assert check_sampling_strategy(0.5, {1: 10, 2: 2, 3: 6}) == {1: 0, 2: 3, 3: 0}
    assert check_sampling_strategy({"2": 5}, {1: 10, 2: 2}) == {1: 0, 2: 3}


@pytest.mark.parametrize(
    "bad, pattern",
    [
        ("majority", r"sampling_strategy must be one of \['all', 'auto', 'minority', 'not majority', 'not minority'\]"),
        (1.5, r"in \(0, 1\]"),
        ({9: 100}, r"class 9"),
        ({1: 2}, r"must be an integer >= "),
        (lambda y: [1], r"must return a dict"),
        (lambda y: 1 / 0, r"callable .* failed: ZeroDivisionError"),
        (True, r"sampling_strategy must be"),
    ],
)
def test_bad_strategies_are_one_line(bad, pattern):
    with pytest.raises(LicGpuError, match=pattern) as info:
        check_sampling_strategy(bad, {1: 10, 2: 4})
    assert "\n" not in str(info.value)


def test_config_strings_reach_the_run(tmp_path):
    from hydra import compose, initialize_config_dir

    from lic_gpu.app.augment_job import run_augment
    from helpers import ROOT

    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        c = compose(
            config_name="augment",
            overrides=["device=cpu", "report.enabled=false", "augment.sampling_strategy=minority"],
        )
    s = run_augment(c, tmp_path)
    requested = {k: v["requested"] for k, v in s["classes"].items()}
    assert sum(v > 0 for v in requested.values()) == 1
    smallest = min(s["classes"], key=lambda k: s["classes"][k]["before"])
    assert requested[smallest] > 0


def test_a_class_that_has_no_sentence_is_named_with_the_classes_as_written():
    """Trial 9: the classes of a run are numpy integers; the message showed ``[np.int64(1), ...]``."""
    import numpy as np

    from lic_gpu.augment.strategy import check_sampling_strategy
    from lic_gpu.errors import LicGpuError

    with pytest.raises(LicGpuError) as info:
        check_sampling_strategy({9: 5}, {np.int64(1): 3, np.int64(2): 4})
    assert str(info.value) == "sampling_strategy names class 9, which has no sentence; classes are [1, 2]"
