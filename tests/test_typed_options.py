"""Behaviour the type-checker pass (issue 21) pinned down: the FROM_CONFIG sentinel and an option
check that a type error pointed at."""

import copy
import pickle

import pytest

from lic_gpu.errors import LicGpuError
from lic_gpu.evaluation.settings import check_fractions
from lic_gpu.io.conf_files import FROM_CONFIG, FromConfig, given_or_default


def test_from_config_is_one_value_that_survives_copies():
    # `value is FROM_CONFIG` decides whether the YAML's default is used: a copied or pickled
    # default (settings objects are deep-copied and sent to joblib workers) must still be it.
    assert copy.deepcopy(FROM_CONFIG) is FROM_CONFIG
    assert pickle.loads(pickle.dumps(FROM_CONFIG)) is FROM_CONFIG
    assert list(FromConfig) == [FROM_CONFIG]
    assert repr(FROM_CONFIG) == "<from conf/>"


def test_given_or_default_reads_the_config_only_when_left_out():
    conf = {"k": 7}
    assert given_or_default(FROM_CONFIG, conf, "k") == 7
    assert given_or_default(3, conf, "k") == 3
    assert given_or_default(None, conf, "k") is None  # None is a value (no limit), not "left out"
    assert given_or_default(3, {}, "k") == 3  # a given value never looks the key up


@pytest.mark.parametrize("value", [True, False, [True], [0.5, True]])
def test_study_fractions_refuse_booleans_with_one_line(value):
    with pytest.raises(LicGpuError, match="study.fractions"):
        check_fractions(value)


def test_study_fractions_accept_a_number_or_a_list():
    assert check_fractions(0.5) == [0.5]
    assert check_fractions([1, 0.25]) == [0.25, 1.0]
