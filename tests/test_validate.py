"""Tests for genmath.validate: what every numpy function in genmath accepts (real numbers, torch
tensors detached, dtype-aware tolerances) and how it refuses the rest (messages name the argument)."""

from __future__ import annotations

import fractions
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from genmath import entropy, kl_divergence, validate

torch.set_num_threads(1)


# ---------------------------------------------------------------------------------------------
# Real numbers only
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [["0.5", "0.5"], "0.5", [b"1"], [1 + 2j, 0.5], [[0.5], [0.5, 0.0]],
                                   [None, 1.0], {"a": 1}])
def test_non_numbers_are_refused_by_name(value) -> None:
    with pytest.raises(ValueError, match=r"^`p` must be real numbers"):
        validate.array(value, "p")


def test_strings_are_not_probabilities() -> None:
    """Issue 16: entropy(['0.5', '0.5']) used to return log 2."""
    with pytest.raises(ValueError, match=r"`p` must be real numbers \(not strings"):
        entropy(["0.5", "0.5"])


def test_real_numbers_of_every_kind_are_accepted() -> None:
    assert validate.array([True, False], "m").tolist() == [1.0, 0.0]
    assert validate.array(np.array([1, 2], dtype=np.int8), "n").dtype == np.float64
    assert validate.array([fractions.Fraction(1, 4), 0.5], "f").tolist() == [0.25, 0.5]
    assert validate.array(np.float32(0.5), "x").dtype == np.float64
    with pytest.raises(ValueError, match="`x` must be within float64 range"):
        validate.array([10**400], "x")


# ---------------------------------------------------------------------------------------------
# torch tensors: detached, copied to the CPU, computed on in float64
# ---------------------------------------------------------------------------------------------

def test_tensor_that_requires_grad_gives_a_number() -> None:
    """Issue 16: used to raise torch's RuntimeError 'Can't call numpy() on Tensor that requires grad'."""
    p = torch.tensor([0.25, 0.75], requires_grad=True)
    h = entropy(p)
    assert isinstance(h, np.floating) and h == pytest.approx(-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)))
    assert p.grad is None  # nothing was attached to the graph


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_tensors_of_every_float_dtype(dtype: torch.dtype) -> None:
    x = torch.tensor([0.5, 0.25], dtype=dtype, requires_grad=dtype.is_floating_point)
    out = validate.array(x, "x")
    assert out.dtype == np.float64 and out.tolist() == [0.5, 0.25]


def test_integer_accepts_zero_dimensional_tensors_and_arrays() -> None:
    assert validate.integer(torch.tensor(3), "t") == 3
    assert validate.integer(np.array(4), "t") == 4
    with pytest.raises(ValueError, match="`t` must be an integer; got"):
        validate.integer(torch.tensor(3.0), "t")


# ---------------------------------------------------------------------------------------------
# Tolerances follow the dtype
# ---------------------------------------------------------------------------------------------

def test_sum_tolerance_rule() -> None:
    eps32 = float(np.finfo(np.float32).eps)
    assert validate.sum_tolerance(np.float64, 10) == validate.SUM_TOL == 1e-9
    assert validate.sum_tolerance(np.float32, 10) == pytest.approx(10 * eps32)
    assert validate.sum_tolerance(np.float16, 3) == pytest.approx(3 * float(np.finfo(np.float16).eps))
    assert validate.sum_tolerance(np.int64, 10**9) == validate.SUM_TOL


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=2, max_value=5000), st.floats(min_value=0.1, max_value=20), st.integers(0, 2**31))
def test_float32_softmax_outputs_are_probability_vectors(k: int, spread: float, seed: int) -> None:
    """Issue 16: 195 of 200 float32 softmax vectors were rejected by the float64 tolerance 1e-9."""
    gen = torch.Generator().manual_seed(seed)
    p = torch.softmax(spread * torch.randn(k, generator=gen), dim=0)  # float32
    h = entropy(p)
    assert 0.0 <= h <= math.log(k) + 1e-5
    assert float(kl_divergence(p, p)) == 0.0
    # ... while a float64 vector off by as much is still refused
    off = p.double().numpy().copy()
    off[0] += 10 * validate.sum_tolerance(np.float32, k)
    with pytest.raises(ValueError, match=r"`p` must be a probability vector summing to 1 \(tolerance 1e-09\)"):
        entropy(off)


def test_float32_vector_far_off_is_still_refused_with_its_tolerance() -> None:
    p = np.array([0.5, 0.5001], dtype=np.float32)
    with pytest.raises(ValueError, match=r"tolerance 2.4e-07, for 2 float32 entries\) along the last axis; "
                                         r"got 1.000\d+ as its sum"):
        entropy(p)


# ---------------------------------------------------------------------------------------------
# Covariances: symmetric relative to their own scale, non-empty
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [1e-200, 1e-20, 1.0, 1e20, 1e200])
def test_symmetry_is_judged_at_the_matrix_scale(scale: float) -> None:
    good = scale * np.array([[2.0, 0.5], [0.5, 1.0]])
    assert np.allclose(validate.cholesky(good, "cov") @ validate.cholesky(good, "cov").T, good, rtol=1e-14)
    bad = scale * np.array([[2.0, 0.5], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"(?s)`cov` must be symmetric; got .*largest \|A - A\^T\|"):
        validate.cholesky(bad, "cov")


def test_symmetry_tolerance_follows_the_dtype() -> None:
    cov = np.array([[2.0, 0.5], [0.5 * (1 + 1e-7), 1.0]])  # off by float32 rounding
    validate.cholesky(cov.astype(np.float32), "cov")
    validate.cholesky(torch.tensor(cov, dtype=torch.float32), "cov")
    with pytest.raises(ValueError, match=r"(?s)`cov` must be symmetric"):
        validate.cholesky(cov, "cov")  # the same numbers in float64 are not symmetric enough


def test_cholesky_errors_name_the_matrix_in_a_batch() -> None:
    batch = np.stack([np.eye(2), -np.eye(2)])
    with pytest.raises(ValueError, match=r"(?s)`covs` must be positive definite; got .*\(at index \(1,\)\) "
                                         r"\(smallest eigenvalue -1\)"):
        validate.cholesky(batch, "covs")
    with pytest.raises(ValueError, match=r"`cov` must be a non-empty square matrix \(dimension >= 1\); got \(0, 0\)"):
        validate.cholesky(np.zeros((0, 0)), "cov")


def test_no_overflow_names_every_input_at_the_first_bad_entry() -> None:
    validate.no_overflow(np.array([1.0, 2.0]), "f", (np.array([1.0, 2.0]), "a"))  # nothing to report
    with pytest.raises(ValueError, match=r"^f overflows float64 \(its magnitude exceeds 1.8e\+308\) "
                                         r"\(at index \(1,\)\) at `a` = 3.0, `b` \(a note\) = 7.0$"):
        validate.no_overflow(np.array([1.0, np.inf]), "f", (np.array([2.0, 3.0]), "a"), (7.0, "b (a note)"))
