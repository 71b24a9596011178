"""Input validation shared by every genmath module.

Every check raises ``ValueError`` whose message names the argument, states the constraint and shows
the offending value, e.g. ``"`sigma_p` must be > 0; got -1.0 (at index (2,))"``. Nothing in genmath
returns NaN silently: inputs are checked here before any arithmetic.

What every numpy function in genmath accepts as an array argument (:func:`array`):

* real numbers: Python numbers, lists, numpy arrays of bool, integer or floating dtype, and torch
  tensors. Strings, bytes, complex numbers and ragged lists are refused (``"must be real numbers"``).
* **torch tensors are detached and copied to the CPU**, then computed on in float64 like any array: the
  result is a numpy value, and no gradient flows through it (a ``requires_grad`` tensor gives a number,
  not an error). The few functions that are differentiable in torch say so and keep tensors as tensors
  (``genmath.vae.kl_std_normal``, ``genmath.vae.iwae_bound``).
* every computation runs in float64, whatever the input dtype; the input dtype only sets the
  tolerance of checks that depend on rounding (:func:`sum_tolerance`).
"""

from __future__ import annotations

import math
import numbers
import sys
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Absolute tolerance on ``|sum(p) - 1|`` for a float64 probability vector (along the last axis);
#: see :func:`sum_tolerance` for other dtypes and long vectors.
SUM_TOL = 1e-9


def _show(value: Any) -> str:
    """A short, readable rendering of an offending value."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return repr(value.item())
        return np.array2string(value, threshold=8, precision=6)
    if isinstance(value, np.generic):  # np.float64(2.0) -> 2.0
        return repr(value.item())
    return repr(value)


def _first_bad(mask: NDArray[np.bool_]) -> str:
    if mask.ndim == 0:
        return ""
    idx = tuple(int(i) for i in np.argwhere(mask)[0])
    return f" (at index {idx})"


def fail(name: str, constraint: str, value: Any, where: str = "") -> None:
    """Raise the standard ValueError: argument name, constraint, offending value."""
    raise ValueError(f"`{name}` must be {constraint}; got {_show(value)}{where}")


def numeric(x: Any, name: str) -> NDArray[Any]:
    """``x`` as a numpy array of real numbers in its own dtype (bool, integer or floating).

    torch tensors are detached and copied to the CPU first (see the module docstring). Strings,
    bytes, complex numbers, ragged lists and other objects raise ``ValueError`` naming ``name``.
    """
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        t = x.detach().cpu()
        if t.dtype == torch.bfloat16:  # numpy has no bfloat16; float32 holds every bfloat16 exactly
            t = t.float()
        x = t.numpy()
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):  # e.g. a ragged list
        fail(name, "real numbers (an array of numbers)", x)
        raise  # unreachable, for type checkers
    if arr.dtype.kind == "O" and all(isinstance(e, numbers.Real) and not isinstance(e, bool)
                                     for e in arr.flat):
        arr = arr.astype(np.float64)  # e.g. Fractions, Decimals or mpmath numbers
    if arr.dtype.kind not in "biuf":
        fail(name, "real numbers (not strings, complex numbers or objects)", x)
    return arr


def array(x: ArrayLike, name: str, *, allow_inf: bool = False) -> NDArray[np.float64]:
    """``x`` as a float64 array of real numbers (see :func:`numeric`) with no NaN (and no inf unless
    ``allow_inf``)."""
    try:
        arr = np.asarray(numeric(x, name), dtype=np.float64)
    except OverflowError:  # a Python int beyond float64
        fail(name, "within float64 range", x)
        raise  # unreachable
    bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
    if bad.any():
        bad_value = arr[bad].flat[0] if arr.ndim else arr
        fail(name, "finite" if not allow_inf else "free of NaN", bad_value, _first_bad(bad))
    return arr


def sum_tolerance(dtype: Any, k: int) -> float:
    r"""Tolerance on :math:`|\sum_k p_k - 1|` for ``k`` probabilities stored in ``dtype``.

    ``max(SUM_TOL, k * eps(dtype))``: each of the ``k`` entries was rounded to ``dtype`` (and summed in
    it, e.g. by a softmax) with an error of at most one unit of ``eps(dtype)`` relative to 1. For
    float64 this is 1e-9 up to k = 4.5 million; for float32 it is 1.2e-7 per entry (torch.softmax
    over 10 classes: 1.2e-6). Integer and bool inputs are exact: ``SUM_TOL``.
    """
    dt = np.dtype(dtype)
    if dt.kind != "f":
        return SUM_TOL
    return max(SUM_TOL, k * float(np.finfo(dt).eps))


def probabilities(p: ArrayLike, name: str) -> NDArray[np.float64]:
    """A probability vector (or a batch of them along the leading axes, distribution on the last).

    Entries must be >= 0 and not NaN, and each row must sum to 1 within
    ``sum_tolerance(dtype, K)`` (1e-9 for float64; ``K * 1.2e-7`` for float32 input, e.g. from
    ``torch.softmax``). Returned as float64, not renormalised.
    """
    raw = numeric(p, name)
    arr = array(raw, name)
    if arr.ndim == 0:
        fail(name, "a probability vector (at least 1-D)", arr)
    if arr.shape[-1] == 0:
        fail(name, "non-empty along its last axis", arr)
    neg = arr < 0
    if neg.any():
        fail(name, "non-negative", arr[neg].flat[0], _first_bad(neg))
    tol = sum_tolerance(raw.dtype, arr.shape[-1])
    sums = arr.sum(axis=-1)
    off = np.abs(sums - 1.0) > tol
    if off.any():
        for_dtype = "" if tol == SUM_TOL else f", for {arr.shape[-1]} {raw.dtype} entries"
        fail(name, f"a probability vector summing to 1 (tolerance {tol:.2g}{for_dtype}) along the last axis",
             np.asarray(sums)[off].flat[0] if np.ndim(sums) else sums,
             " as its sum" + _first_bad(off))
    return arr


def positive(x: ArrayLike, name: str) -> NDArray[np.float64]:
    """Finite and strictly positive (e.g. a standard deviation)."""
    arr = array(x, name)
    bad = arr <= 0
    if bad.any():
        fail(name, "> 0", arr[bad].flat[0] if arr.ndim else arr, _first_bad(bad))
    return arr


def in_interval(x: ArrayLike, name: str, lo: float, hi: float, *, closed: bool = False
                ) -> NDArray[np.float64]:
    """Finite and inside (lo, hi), or [lo, hi] when ``closed``."""
    arr = array(x, name)
    bad = (arr < lo) | (arr > hi) if closed else (arr <= lo) | (arr >= hi)
    if bad.any():
        interval = f"[{lo:g}, {hi:g}]" if closed else f"({lo:g}, {hi:g})"
        fail(name, f"in {interval}", arr[bad].flat[0] if arr.ndim else arr, _first_bad(bad))
    return arr


def integer(x: Any, name: str, *, lo: int | None = None, hi: int | None = None) -> int:
    """A Python int in [lo, hi] (inclusive bounds; None means unbounded)."""
    torch = sys.modules.get("torch")
    if (torch is not None and isinstance(x, torch.Tensor) and x.ndim == 0
            and not x.dtype.is_floating_point and not x.dtype.is_complex and x.dtype != torch.bool):
        x = int(x)  # a 0-d integer tensor
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iu":
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        fail(name, "an integer", x)
    value = int(x)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        lo_s = "-inf" if lo is None else str(lo)
        hi_s = "inf" if hi is None else str(hi)
        fail(name, f"an integer in [{lo_s}, {hi_s}]", value)
    return value


def same_shape(a: NDArray[Any], b: NDArray[Any], name_a: str, name_b: str) -> None:
    """Raise unless ``a`` and ``b`` have identical shapes."""
    if a.shape != b.shape:
        raise ValueError(f"`{name_a}` and `{name_b}` must have the same shape; "
                         f"got {a.shape} and {b.shape}")


def broadcast(*pairs: tuple[NDArray[Any], str]) -> tuple[NDArray[Any], ...]:
    """Broadcast arrays together, naming them all if their shapes are incompatible."""
    try:
        return tuple(np.broadcast_arrays(*(a for a, _ in pairs)))
    except ValueError:
        shapes = ", ".join(f"`{n}` {a.shape}" for a, n in pairs)
        raise ValueError(f"shapes do not broadcast: {shapes}") from None


def log_base(base: float | None) -> float:
    """The divisor that converts nats to ``base`` units: 1 for nats (None), log(2) for bits."""
    if base is None:
        return 1.0
    if isinstance(base, bool) or not isinstance(base, (int, float, np.integer, np.floating)):
        fail("base", "a positive number other than 1, or None (nats)", base)
    b = float(base)
    if not math.isfinite(b) or b <= 0 or b == 1:
        fail("base", "a positive number other than 1, or None (nats)", base)
    return math.log(b)


def cholesky(cov: ArrayLike, name: str) -> NDArray[np.float64]:
    """Lower Cholesky factor of a (batch of) symmetric positive-definite matrices.

    Symmetry is checked relative to each matrix's own scale (``|A - A^T| <= tol * max|A|``), so a
    covariance of entries around 1e-20 is held to the same standard as one around 1, with
    ``tol = max(1e-10, 64 eps(dtype))``: 1e-10 for float64, 7.6e-6 for float32 input (e.g. a torch
    covariance computed in float32).
    """
    raw = numeric(cov, name)
    tol = 1e-10 if raw.dtype.kind != "f" else max(1e-10, 64 * float(np.finfo(raw.dtype).eps))
    arr = array(raw, name)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        fail(name, "a square matrix (or a batch of them)", arr.shape, " as its shape")
    if arr.shape[-1] == 0:
        fail(name, "a non-empty square matrix (dimension >= 1)", arr.shape, " as its shape")
    size = np.max(np.abs(arr), axis=(-2, -1))
    asymmetry = np.max(np.abs(arr - np.swapaxes(arr, -1, -2)), axis=(-2, -1))
    bad = asymmetry > tol * size
    if bad.any():
        where = _first_bad(bad)
        fail(name, "symmetric", arr if arr.ndim == 2 else arr[tuple(np.argwhere(bad)[0])],
             f"{where} (largest |A - A^T| {np.max(asymmetry):.3g} for entries up to {np.max(size):.3g})")
    try:
        return np.asarray(np.linalg.cholesky(arr), dtype=np.float64)
    except np.linalg.LinAlgError:
        eig = np.linalg.eigvalsh(arr).min(axis=-1)
        bad = ~(eig > 0)
        fail(name, "positive definite", arr if arr.ndim == 2 else arr[tuple(np.argwhere(bad)[0])],
             f"{_first_bad(bad)} (smallest eigenvalue {eig.min():.3g})")
        raise  # unreachable


def no_overflow(result: ArrayLike, what: str, *inputs: tuple[ArrayLike, str]) -> None:
    """Raise ``ValueError`` where ``result`` is infinite although it is the value of a finite formula of
    finite ``inputs``: the exact value exists but lies beyond float64 (about 1.8e308). The message names
    every input with its value at the first such entry, e.g. ``"KL(N(mu_p, sigma_p^2) || ...) overflows
    float64 at `sigma_p` = 1e+200, `sigma_q` = 1e-200"``. A name may carry a note after a space
    (``"x (largest |x|)"``) when the value shown is a summary of the argument.
    """
    res = np.asarray(result)
    bad = np.isinf(res)
    if not bad.any():
        return
    idx = tuple(int(i) for i in np.argwhere(bad)[0]) if res.ndim else ()
    shown = []
    for value, name in inputs:
        arr = np.asarray(value)
        try:
            at = np.broadcast_to(arr, res.shape)[idx] if res.ndim else arr
        except ValueError:  # an input over fewer axes than the result (e.g. summed away)
            at = arr
        arg, _, note = name.partition(" ")  # "x (largest |x|)": the argument, then a note
        shown.append(f"`{arg}`{' ' + note if note else ''} = {_show(at)}")
    where = f" (at index {idx})" if idx else ""
    raise ValueError(f"{what} overflows float64 (its magnitude exceeds {np.finfo(np.float64).max:.3g})"
                     f"{where} at {', '.join(shown)}")


def nonnegative_integers(x: ArrayLike, name: str) -> NDArray[np.float64]:
    """Finite, >= 0 and integer-valued (counts, Poisson observations); returned as float64.

    Float inputs such as ``3.0`` are accepted; ``2.5``, ``-1`` and NaN are refused.
    """
    arr = array(x, name)
    neg = arr < 0
    if neg.any():
        fail(name, "non-negative", arr[neg].flat[0] if arr.ndim else arr, _first_bad(neg))
    frac = arr != np.round(arr)
    if frac.any():
        fail(name, "integer-valued", arr[frac].flat[0] if arr.ndim else arr, _first_bad(frac))
    return arr


def non_negative(x: ArrayLike, name: str) -> NDArray[np.float64]:
    """Finite and >= 0 (e.g. density values, which may be 0 outside the support)."""
    arr = array(x, name)
    bad = arr < 0
    if bad.any():
        fail(name, ">= 0", float(arr[bad].flat[0]), _first_bad(bad))
    return arr


def not_both_zero(a: NDArray[np.float64], b: NDArray[np.float64], name_a: str, name_b: str) -> None:
    """Raise unless ``a + b > 0`` elementwise, for broadcast non-negative arrays ``a`` and ``b``
    (e.g. two densities whose ratio ``a / (a + b)`` is needed)."""
    both = (a == 0) & (b == 0)
    if both.any():
        raise ValueError(f"`{name_a}` and `{name_b}` must not both be 0; got 0.0 and 0.0"
                         f"{_first_bad(both)}")
