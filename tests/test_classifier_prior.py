"""The label-prior shift of ModelParams.prior_weight / prior_scope (classifier.core.label_prior_shift)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classifier import taxonomy
from classifier.core import ModelParams, fit_core, label_prior_shift
from classifier.dataset import Example

CLASSES = np.array(["11", "12", "14", "41"])


def test_no_weight_no_rows_or_a_uniform_mix_shift_nothing():
    uniform = ["11", "12", "14", "41"] * 3
    assert not label_prior_shift(uniform, CLASSES, ModelParams()).any()
    assert not label_prior_shift([], CLASSES, ModelParams(prior_weight=1.0)).any()
    assert np.allclose(label_prior_shift(uniform, CLASSES, ModelParams(prior_weight=1.0)), 0.0)


def test_all_scope_moves_every_code_towards_the_smoothed_share():
    codes = ["11"] * 6 + ["12"] * 2  # 14 and 41 absent: add-one share 1/12 each
    shift = label_prior_shift(codes, CLASSES, ModelParams(prior_weight=1.0))
    share = np.array([7, 3, 1, 1]) / 12
    assert np.allclose(shift, np.log(share * 4))
    half = label_prior_shift(codes, CLASSES, ModelParams(prior_weight=0.5))
    assert np.allclose(half, shift / 2)
    assert shift[0] > 0 > shift[2] and shift[2] == pytest.approx(shift[3])


def test_cost_scope_shifts_only_14_and_41_by_their_framework_mix():
    codes = ["14"] * 10 + ["41"] * 1 + ["11"] * 50
    shift = label_prior_shift(codes, CLASSES, ModelParams(prior_weight=1.0, prior_scope="cost"))
    assert shift[0] == 0 and shift[1] == 0
    assert shift[2] == pytest.approx(math.log(2 * 11 / 13))
    assert shift[3] == pytest.approx(math.log(2 * 2 / 13))
    no_41 = np.array(["11", "14"])
    assert not label_prior_shift(codes, no_41, ModelParams(prior_weight=1.0, prior_scope="cost")).any()
    with pytest.raises(ValueError, match="prior scope"):
        ModelParams(prior_scope="everything")


def _example(name: str, code: str, source: str) -> Example:
    return Example(name, None, code, taxonomy.level1_of(code), f"g-{source}", source)


def test_fitted_intercepts_carry_the_shift_of_the_real_form_rows_only():
    pool = [
        _example("培训人数", "11", "library"),
        _example("培训合格率", "12", "library"),
        _example("人均培训成本", "14", "library"),
        _example("人均培训费用", "41", "library"),
        *[_example(f"项目总成本{i}", "14", "real") for i in range(5)],
        _example("项目经济成本", "41", "real"),
        *[_example(f"完成人数{i}", "11", "real") for i in range(3)],
    ]
    plain = fit_core(pool, None, ModelParams())
    for scope in ("all", "cost"):
        params = ModelParams(prior_weight=1.0, prior_scope=scope)
        shifted = fit_core(pool, None, params)
        real = [e.code for e in pool if e.source == "real"]
        expected = label_prior_shift(real, plain.classes, params)
        assert np.allclose(shifted.intercept - plain.intercept, expected)
        assert np.allclose(shifted.coef, plain.coef)
    cost = fit_core(pool, None, ModelParams(prior_weight=1.0, prior_scope="cost"))
    ambiguous = cost.logits(["培训成本"], [None])[0]
    index = {str(c): i for i, c in enumerate(cost.classes)}
    base = plain.logits(["培训成本"], [None])[0]
    assert ambiguous[index["14"]] - ambiguous[index["41"]] > base[index["14"]] - base[index["41"]]
