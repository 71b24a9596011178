"""Input validation shared by every genmath module.

Every check raises ``ValueError`` whose message names the argument, states the constraint and shows
the offending value, e.g. ``"`sigma_p` must be > 0; got -1.0 (at index (2,))"``. Nothing in genmath
returns NaN silently: inputs are checked here before any arithmetic.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Absolute tolerance on ``|sum(p) - 1|`` for a probability vector (along the last axis).
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


def array(x: ArrayLike, name: str, *, allow_inf: bool = False) -> NDArray[np.float64]:
    """``x`` as a float64 array with no NaN (and no inf unless ``allow_inf``)."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        fail(name, "numeric", x)
        raise  # unreachable, for type checkers
    bad = np.isnan(arr) if allow_inf else ~np.isfinite(arr)
    if bad.any():
        bad_value = arr[bad].flat[0] if arr.ndim else arr
        fail(name, "finite" if not allow_inf else "free of NaN", bad_value, _first_bad(bad))
    return arr


def probabilities(p: ArrayLike, name: str) -> NDArray[np.float64]:
    """A probability vector (or a batch of them along the leading axes, distribution on the last).

    Entries must be >= 0 and not NaN, and each row must sum to 1 within ``SUM_TOL``.
    """
    arr = array(p, name)
    if arr.ndim == 0:
        fail(name, "a probability vector (at least 1-D)", arr)
    if arr.shape[-1] == 0:
        fail(name, "non-empty along its last axis", arr)
    neg = arr < 0
    if neg.any():
        fail(name, "non-negative", arr[neg].flat[0], _first_bad(neg))
    sums = arr.sum(axis=-1)
    off = np.abs(sums - 1.0) > SUM_TOL
    if off.any():
        fail(name, f"a probability vector summing to 1 (tolerance {SUM_TOL:g}) along the last axis",
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
    """Lower Cholesky factor of a (batch of) symmetric positive-definite matrices."""
    arr = array(cov, name)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        fail(name, "a square matrix (or a batch of them)", arr.shape)
    if not np.allclose(arr, np.swapaxes(arr, -1, -2), rtol=1e-10, atol=1e-12):
        fail(name, "symmetric", arr)
    try:
        return np.asarray(np.linalg.cholesky(arr), dtype=np.float64)
    except np.linalg.LinAlgError:
        eig = np.linalg.eigvalsh(arr)
        fail(name, "positive definite", arr, f" (smallest eigenvalue {eig.min():.3g})")
        raise  # unreachable


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
