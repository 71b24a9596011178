r"""Denoising diffusion probabilistic models (DDPM): schedules, the forward process, the posterior
:math:`q(x_{t-1}\mid x_t, x_0)`, the terms of the variational bound, the exact bound on Gaussian
data, and a small torch DDPM on 2-D data.

Notation follows Ho, Jain & Abbeel (2020), "Denoising Diffusion Probabilistic Models":
:math:`\beta_t` is the variance added at step t, :math:`\alpha_t = 1-\beta_t`,
:math:`\bar\alpha_t = \prod_{s=1}^t \alpha_s`, and the forward process is
:math:`q(x_t\mid x_{t-1}) = \mathcal N(\sqrt{\alpha_t}\,x_{t-1}, \beta_t I)`.

**Index convention.** The papers count steps t = 1, ..., T. Arrays here are 0-based: element
``t - 1`` of ``betas``, ``alpha_bars(betas)``, ``posterior_variance(betas)`` ... holds the paper's
step t. Every function that takes a step ``t`` takes the paper's 1-based t (an integer in [1, T]).
:math:`\bar\alpha_0 = 1` (no noise) is not stored.

All information quantities are in nats, per dimension unless stated otherwise. Variances are
variances (:math:`\sigma^2`); :func:`genmath.kl_normal` takes standard deviations.

**Small betas.** Schedules are handled in log space: :math:`\log\bar\alpha_t = \sum_{s \le t}
\log(1 - \beta_s)` (``log1p``), :math:`\bar\alpha_t = e^{\log\bar\alpha_t}` and
:math:`1 - \bar\alpha_t = -\mathrm{expm1}(\log\bar\alpha_t)` (:func:`one_minus_alpha_bars`), never
:math:`1 - \bar\alpha_t` by subtraction, which is 0 for :math:`\beta < 2^{-53}`. Every schedule
quantity is therefore right for :math:`\beta_t` down to the smallest positive float (posterior
variances of :math:`\beta = 10^{-17}`: 0, 5e-18, 6.7e-18; the coefficient of :math:`x_0` at t = 1 is
exactly 1). A quantity that exceeds float64 (the SNR of :math:`\beta_1 < 5.6 \times 10^{-309}`)
raises ``ValueError`` naming ``betas``; :func:`log_snr` is finite for every schedule.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from genmath import memo
from genmath import validate as v
from genmath.info import gaussian_entropy, kl_normal

#: The two fixed reverse-process variance families of Ho et al. (2020, Sec. 3.2).
FIXED_VARIANCES = ("beta", "beta_tilde")
#: Reverse kernels for the exact Gaussian-data bound: the two fixed families, the true reverse
#: conditional q(x_{t-1}|x_t) (optimal mean and variance), or Nichol & Dhariwal's learned interpolation
#: between beta_t and beta-tilde_t at its best value for the data (clipped to [0, 1]).
KERNELS = ("exact",) + FIXED_VARIANCES + ("learned_range",)

# ----------------------------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------------------------


def check_betas(betas: ArrayLike, name: str = "betas") -> NDArray[np.float64]:
    r"""``betas`` as a validated 1-D float array with every :math:`\beta_t \in (0, 1)`."""
    arr = v.array(betas, name)
    if arr.ndim != 1 or arr.size == 0:
        v.fail(name, "a non-empty 1-D array (one beta per step)", arr.shape, " as its shape")
    return v.in_interval(arr, name, 0.0, 1.0)


def _step(t: Any, T: int, name: str = "t") -> int | NDArray[np.int64]:
    """A paper (1-based) step, or an integer array of them, each in [1, T]."""
    if isinstance(t, np.ndarray) and t.ndim > 0:
        if not np.issubdtype(t.dtype, np.integer):
            v.fail(name, "an integer step (or an integer array of steps)", t)
        bad = (t < 1) | (t > T)
        if bad.any():
            v.fail(name, f"an integer step in [1, {T}] (paper's 1-based t)", int(t[bad].flat[0]),
                   f" (at index {tuple(int(i) for i in np.argwhere(bad)[0])})")
        return t.astype(np.int64)
    if isinstance(t, np.ndarray):
        t = t.item()
    return v.integer(t, name, lo=1, hi=T)


def _scalar_step(t: Any, T: int, name: str = "t") -> int:
    """One paper (1-based) step, an integer in [1, T]."""
    if isinstance(t, np.ndarray) and t.ndim == 0:
        t = t.item()
    return v.integer(t, name, lo=1, hi=T)


def _positive_t(t: Any, name: str = "t") -> int:
    return v.integer(t, name, lo=1)


# ----------------------------------------------------------------------------------------------
# schedules
# ----------------------------------------------------------------------------------------------


def linear_betas(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> NDArray[np.float64]:
    r"""Linear schedule :math:`\beta_t = \beta_1 + (t-1)\,\frac{\beta_T-\beta_1}{T-1}`, t = 1..T.

    Ho et al. (2020), Sec. 4: T = 1000, :math:`\beta_1 = 10^{-4}`, :math:`\beta_T = 0.02`.
    Returns an array of length T; element t-1 is :math:`\beta_t`.
    """
    T = _positive_t(T, "T")
    start = float(v.in_interval(beta_start, "beta_start", 0.0, 1.0))
    end = float(v.in_interval(beta_end, "beta_end", 0.0, 1.0))
    return np.linspace(start, end, T, dtype=np.float64)


def scaled_linear_betas(T: int) -> NDArray[np.float64]:
    r"""Ho et al.'s linear schedule stretched to T steps: :math:`\beta` from
    :math:`10^{-4}\cdot 1000/T` to :math:`0.02\cdot 1000/T`, so that :math:`\sum_t\beta_t` (and hence
    :math:`\bar\alpha_T \approx e^{-\sum_t \beta_t}`) stays roughly what it is at T = 1000.

    This is ``get_named_beta_schedule("linear", T)`` of Nichol & Dhariwal's improved-diffusion code
    (2021). Needs T >= 21 so that :math:`\beta_T < 1`.
    """
    T = _positive_t(T, "T")
    scale = 1000.0 / T
    if 0.02 * scale >= 1.0:
        v.fail("T", "at least 21 (so that beta_T = 20 / T < 1)", T)
    return linear_betas(T, 1e-4 * scale, 0.02 * scale)


def cosine_f(t: ArrayLike, T: int, s: float = 0.008) -> NDArray[np.float64]:
    r""":math:`f(t) = \cos^2\!\left(\frac{t/T + s}{1 + s}\cdot\frac{\pi}{2}\right)`
    (Nichol & Dhariwal 2021, eq. 17). Unclipped :math:`\bar\alpha_t = f(t)/f(0)`."""
    T = _positive_t(T, "T")
    s = float(v.positive(s, "s"))
    tt = v.in_interval(t, "t", 0.0, T, closed=True)
    return np.cos((tt / T + s) / (1.0 + s) * np.pi / 2.0) ** 2


def cosine_betas(T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> NDArray[np.float64]:
    r"""Cosine schedule of Nichol & Dhariwal (2021), eq. 17 and Sec. 3.2:

    .. math:: \beta_t = \min\!\left(1 - \frac{\bar\alpha_t}{\bar\alpha_{t-1}},\ \beta_{\max}\right),
              \qquad \bar\alpha_t = \frac{f(t)}{f(0)}.

    Without the clip :math:`\beta_T = 1` (since :math:`f(T) = 0`); the paper clips at 0.999.
    Element t-1 is :math:`\beta_t`.
    """
    T = _positive_t(T, "T")
    max_beta = float(v.in_interval(max_beta, "max_beta", 0.0, 1.0))
    f = cosine_f(np.arange(T + 1, dtype=np.float64), T, s)
    raw = 1.0 - f[1:] / f[:-1]
    return np.minimum(raw, max_beta)


def alphas(betas: ArrayLike) -> NDArray[np.float64]:
    r""":math:`\alpha_t = 1 - \beta_t` (element t-1 is the paper's t)."""
    return 1.0 - check_betas(betas)


def _log_alpha_bars(b: NDArray[np.float64]) -> NDArray[np.float64]:
    r""":math:`\log\bar\alpha_t = \sum_{s=1}^t \log(1 - \beta_s)`, with ``log1p`` (exact for tiny beta)."""
    return np.cumsum(np.log1p(-b))


def alpha_bars(betas: ArrayLike) -> NDArray[np.float64]:
    r""":math:`\bar\alpha_t = \prod_{s=1}^{t}\alpha_s` (Ho et al. 2020, Sec. 2); element t-1 is
    the paper's t, so ``alpha_bars(betas)[-1]`` is :math:`\bar\alpha_T`. Computed as
    :math:`\exp\sum_s \log(1 - \beta_s)`; in (0, 1], and equal to 1 in float64 when
    :math:`1 - \bar\alpha_t < 2^{-53}` (use :func:`one_minus_alpha_bars` for that gap)."""
    return np.exp(_log_alpha_bars(check_betas(betas)))


def one_minus_alpha_bars(betas: ArrayLike) -> NDArray[np.float64]:
    r""":math:`1 - \bar\alpha_t = -\mathrm{expm1}\big(\sum_{s \le t} \log(1 - \beta_s)\big)`, the variance
    of :math:`q(x_t \mid x_0)`; element t-1 is the paper's t. Exact to rounding for every beta: for
    :math:`\beta_1 = 10^{-17}` it is 1e-17, where ``1 - alpha_bars(betas)`` is 0. In (0, 1)."""
    return -np.expm1(_log_alpha_bars(check_betas(betas)))


def alpha_bars_prev(betas: ArrayLike) -> NDArray[np.float64]:
    r""":math:`\bar\alpha_{t-1}` for t = 1..T, with :math:`\bar\alpha_0 = 1`."""
    return np.concatenate(([1.0], alpha_bars(betas)[:-1]))


def snr(betas: ArrayLike) -> NDArray[np.float64]:
    r"""Signal-to-noise ratio :math:`\mathrm{SNR}(t) = \bar\alpha_t / (1-\bar\alpha_t)`
    (Kingma et al. 2021, in this discrete form); element t-1 is the paper's t. Positive and finite;
    an SNR beyond float64 (:math:`1 - \bar\alpha_t < 5.6 \times 10^{-309}`) raises ``ValueError``
    naming ``betas`` -- :func:`log_snr` has no such limit."""
    b = check_betas(betas)
    log_ab = _log_alpha_bars(b)
    with np.errstate(divide="ignore", over="ignore"):
        ratio = np.exp(log_ab) / -np.expm1(log_ab)
    v.no_overflow(ratio, "SNR(t) = alpha_bar_t / (1 - alpha_bar_t) (use log_snr)",
                  (np.cumsum(b), "betas (summed up to t)"))
    return ratio


def log_snr(betas: ArrayLike) -> NDArray[np.float64]:
    r""":math:`\log\mathrm{SNR}(t) = \log\bar\alpha_t - \log(1-\bar\alpha_t)` (natural log), from
    :math:`\log\bar\alpha_t` directly (finite for every schedule)."""
    log_ab = _log_alpha_bars(check_betas(betas))
    return log_ab - np.log(-np.expm1(log_ab))


# ----------------------------------------------------------------------------------------------
# forward process q
# ----------------------------------------------------------------------------------------------


def forward_step(x_prev: ArrayLike, t: int, noise: ArrayLike, betas: ArrayLike) -> NDArray[np.float64]:
    r"""One forward step :math:`x_t = \sqrt{1-\beta_t}\,x_{t-1} + \sqrt{\beta_t}\,\epsilon`
    (Ho et al. 2020, eq. 2), with the paper's 1-based t."""
    b = check_betas(betas)
    t = _scalar_step(t, b.size)
    x = v.array(x_prev, "x_prev")
    eps = v.array(noise, "noise")
    v.same_shape(x, eps, "x_prev", "noise")
    beta_t = b[t - 1]
    return np.sqrt(1.0 - beta_t) * x + np.sqrt(beta_t) * eps


def _at_steps(values: NDArray[np.float64], t: Any, x: NDArray[np.float64], x_name: str
              ) -> NDArray[np.float64]:
    """``values[t - 1]`` shaped to broadcast against ``x``: a scalar step, or one step per entry of
    ``x``'s leading axes (``t`` of shape ``x.shape[:t.ndim]``); ValueError naming ``t`` otherwise."""
    t_arr = np.asarray(t)
    if t_arr.ndim > x.ndim or t_arr.shape != x.shape[:t_arr.ndim]:
        v.fail("t", f"a single step or one step per entry of the leading axes of `{x_name}` (shape "
               f"{x.shape[:max(t_arr.ndim, 1)]})", t_arr.shape, f" as its shape, with `{x_name}` of shape {x.shape}")
    picked = values[t_arr - 1]
    return picked.reshape(picked.shape + (1,) * (x.ndim - picked.ndim))


def q_moments(x0: ArrayLike, t: Any, betas: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Mean and variance of :math:`q(x_t\mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}\,x_0,\,
    (1-\bar\alpha_t) I)` (Ho et al. 2020, eq. 4), with the paper's 1-based t (int, or an int array
    with one step per entry of ``x0``'s leading axes; ``ValueError`` naming ``t`` otherwise)."""
    b = check_betas(betas)
    t = _step(t, b.size)
    x = v.array(x0, "x0")
    ab_t = _at_steps(alpha_bars(b), t, x, "x0")
    var_t = _at_steps(one_minus_alpha_bars(b), t, x, "x0")
    return np.sqrt(ab_t) * x, np.broadcast_to(var_t, np.broadcast_shapes(var_t.shape, x.shape))


def q_sample(x0: ArrayLike, t: Any, noise: ArrayLike, betas: ArrayLike) -> NDArray[np.float64]:
    r"""Sample :math:`x_t \sim q(x_t\mid x_0)` by the reparameterisation
    :math:`x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon` (Ho et al. 2020, eq. 4
    and Algorithm 1).

    ``t`` is the paper's 1-based step: ``q_sample(x0, 1, eps, betas)`` uses
    :math:`\bar\alpha_1 = 1-\beta_1` (``betas[0]``), ``q_sample(x0, T, ...)`` uses
    :math:`\bar\alpha_T`. ``t`` may be an integer array with one step per row of ``x0``.
    """
    eps = v.array(noise, "noise")
    v.same_shape(v.array(x0, "x0"), eps, "x0", "noise")
    mean, var = q_moments(x0, t, betas)
    return mean + np.sqrt(var) * eps


# ----------------------------------------------------------------------------------------------
# the posterior q(x_{t-1} | x_t, x_0)
# ----------------------------------------------------------------------------------------------


def posterior_variance(betas: ArrayLike) -> NDArray[np.float64]:
    r""":math:`\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\,\beta_t`
    (Ho et al. 2020, eq. 7). Element t-1 is the paper's t, so element 0 is
    :math:`\tilde\beta_1 = 0` (because :math:`\bar\alpha_0 = 1`). In :math:`[0, \beta_t)`."""
    b = check_betas(betas)
    one_minus = one_minus_alpha_bars(b)
    one_minus_prev = np.concatenate(([0.0], one_minus[:-1]))
    return one_minus_prev / one_minus * b


def posterior_mean_coefs(betas: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""The two coefficients of :math:`\tilde\mu_t(x_t, x_0)` (Ho et al. 2020, eq. 7):

    .. math:: \tilde\mu_t = \underbrace{\frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{1-\bar\alpha_t}}_{
              \text{coef. of } x_0} x_0 + \underbrace{\frac{\sqrt{\alpha_t}\,(1-\bar\alpha_{t-1})}{
              1-\bar\alpha_t}}_{\text{coef. of } x_t} x_t.

    Returns ``(coef_x0, coef_xt)``, arrays of length T (element t-1 is the paper's t).
    """
    b = check_betas(betas)
    ab_prev = alpha_bars_prev(b)
    one_minus = one_minus_alpha_bars(b)
    one_minus_prev = np.concatenate(([0.0], one_minus[:-1]))
    # ratios first (each <= 1), as in posterior_variance: a product with a subnormal beta would round
    # at the subnormal spacing before the division enlarged it (error 1.6e-12 relative for beta = 1e-312)
    coef_x0 = b / one_minus * np.sqrt(ab_prev)
    coef_xt = one_minus_prev / one_minus * np.sqrt(1.0 - b)
    return coef_x0, coef_xt


def posterior_mean(x0: ArrayLike, xt: ArrayLike, t: int, betas: ArrayLike) -> NDArray[np.float64]:
    r""":math:`\tilde\mu_t(x_t, x_0)` of :math:`q(x_{t-1}\mid x_t, x_0)` (Ho et al. 2020, eq. 7),
    paper's 1-based t."""
    b = check_betas(betas)
    t = _scalar_step(t, b.size)
    c0, ct = posterior_mean_coefs(b)
    x0, xt = v.broadcast((v.array(x0, "x0"), "x0"), (v.array(xt, "xt"), "xt"))
    return c0[t - 1] * x0 + ct[t - 1] * xt


def reverse_variances(betas: ArrayLike, kind: str = "beta") -> NDArray[np.float64]:
    r"""The fixed reverse-process variances :math:`\sigma_t^2` of Ho et al. (2020), Sec. 3.2:
    ``"beta"`` gives :math:`\sigma_t^2 = \beta_t`, ``"beta_tilde"`` gives
    :math:`\sigma_t^2 = \tilde\beta_t`.

    Because :math:`\tilde\beta_1 = 0` would make a continuous decoder :math:`p_\theta(x_0\mid x_1)`
    degenerate, ``"beta_tilde"`` uses :math:`\sigma_1^2 = \tilde\beta_2` at t = 1, as the authors'
    code does (``posterior_log_variance_clipped`` in hojonathanho/diffusion). Needs T >= 2 for it.
    """
    b = check_betas(betas)
    if kind == "beta":
        return b.copy()
    if kind == "beta_tilde":
        if b.size < 2:
            v.fail("betas", "of length >= 2 for kind='beta_tilde' (sigma_1^2 is set to beta_tilde_2)",
                   b.size, " as its length")
        bt = posterior_variance(b)
        bt[0] = bt[1]
        return bt
    v.fail("kind", f"one of {FIXED_VARIANCES}", kind)
    raise AssertionError  # unreachable


def loss_weights(betas: ArrayLike, sigma2: ArrayLike) -> NDArray[np.float64]:
    r"""The weight of :math:`\|\epsilon-\epsilon_\theta\|^2` in the true bound (Ho et al. 2020,
    eq. 12):

    .. math:: \lambda_t = \frac{\beta_t^2}{2\sigma_t^2\,\alpha_t\,(1-\bar\alpha_t)}.

    ``sigma2`` holds :math:`\sigma_t^2` for t = 1..T (e.g. ``reverse_variances(betas, kind)``).
    With a Gaussian decoder the same weight multiplies the t = 1 term of L_0 (see the chapter).
    """
    b = check_betas(betas)
    s2 = v.positive(sigma2, "sigma2")
    if s2.shape != b.shape:
        v.fail("sigma2", f"of the same shape as betas {b.shape}", s2.shape, " as its shape")
    return b**2 / (2.0 * s2 * (1.0 - b) * one_minus_alpha_bars(b))


def eps_to_mean(xt: ArrayLike, eps: ArrayLike, t: Any, betas: ArrayLike) -> NDArray[np.float64]:
    r"""The ε-parameterised mean (Ho et al. 2020, eq. 11):
    :math:`\mu_\theta(x_t, t) = \frac{1}{\sqrt{\alpha_t}}\left(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}
    \epsilon_\theta(x_t, t)\right)`. With the true ε it equals :math:`\tilde\mu_t` (eq. 10)."""
    b = check_betas(betas)
    t = _step(t, b.size)
    x = v.array(xt, "xt")
    e = v.array(eps, "eps")
    v.same_shape(x, e, "xt", "eps")
    beta_t = _at_steps(b, t, x, "xt")
    one_minus_ab_t = _at_steps(one_minus_alpha_bars(b), t, x, "xt")
    return (x - beta_t / np.sqrt(one_minus_ab_t) * e) / np.sqrt(1.0 - beta_t)


# ----------------------------------------------------------------------------------------------
# terms of the variational bound (Ho et al. 2020, eq. 5), per dimension, nats
# ----------------------------------------------------------------------------------------------


def prior_term(mean_T: ArrayLike, var_T: ArrayLike) -> NDArray[np.float64]:
    r""":math:`L_T = \mathrm{KL}\big(q(x_T\mid x_0)\,\|\,\mathcal N(0, 1)\big)` per dimension, nats,
    for :math:`q(x_T\mid x_0) = \mathcal N(\text{mean}_T, \text{var}_T)` (Ho et al. 2020, eq. 5)."""
    var = v.positive(var_T, "var_T")
    return np.asarray(kl_normal(v.array(mean_T, "mean_T"), np.sqrt(var), 0.0, 1.0))


def denoising_term(mu_tilde: ArrayLike, beta_tilde: ArrayLike, mu_theta: ArrayLike,
                   sigma2: ArrayLike) -> NDArray[np.float64]:
    r""":math:`L_{t-1} = \mathrm{KL}\big(\mathcal N(\tilde\mu_t, \tilde\beta_t)\,\|\,
    \mathcal N(\mu_\theta, \sigma_t^2)\big)` per dimension, nats (Ho et al. 2020, eqs. 5 and 8)."""
    bt = v.positive(beta_tilde, "beta_tilde")
    s2 = v.positive(sigma2, "sigma2")
    return np.asarray(kl_normal(v.array(mu_tilde, "mu_tilde"), np.sqrt(bt), v.array(mu_theta, "mu_theta"),
                                np.sqrt(s2)))


def decoder_term(x0: ArrayLike, mu_theta: ArrayLike, sigma2: ArrayLike) -> NDArray[np.float64]:
    r""":math:`L_0 = -\log p_\theta(x_0\mid x_1)` per dimension, nats, for the CONTINUOUS Gaussian
    decoder :math:`p_\theta(x_0\mid x_1) = \mathcal N(\mu_\theta(x_1, 1), \sigma_1^2)` used here for
    real-valued data (Ho et al. use a discretised decoder for 8-bit images, eq. 13)."""
    s2 = v.positive(sigma2, "sigma2")
    return -stats.norm.logpdf(v.array(x0, "x0"), loc=v.array(mu_theta, "mu_theta"), scale=np.sqrt(s2))


def bound_constants(betas: ArrayLike, sigma2: ArrayLike) -> NDArray[np.float64]:
    r"""The parameter-free part :math:`C_t` of each bound term written as
    :math:`L_{t-1} = \lambda_t\,\mathbb E\|\epsilon-\epsilon_\theta\|^2 + C_t` (per dimension, nats):

    .. math:: C_t = \tfrac12\left(\frac{\tilde\beta_t}{\sigma_t^2} - 1 - \log\frac{\tilde\beta_t}{\sigma_t^2}
              \right)\ (t \ge 2), \qquad C_1 = \tfrac12\log(2\pi\sigma_1^2)\ \text{(Gaussian decoder)}.

    :math:`C_t` is the KL between two zero-mean normals of variances :math:`\tilde\beta_t` and
    :math:`\sigma_t^2` (0 when :math:`\sigma_t^2 = \tilde\beta_t`); element t-1 is the paper's t.
    """
    b = check_betas(betas)
    s2 = v.positive(sigma2, "sigma2")
    if s2.shape != b.shape:
        v.fail("sigma2", f"of the same shape as betas {b.shape}", s2.shape, " as its shape")
    c = np.empty_like(b)
    bt = posterior_variance(b)
    c[1:] = kl_normal(0.0, np.sqrt(bt[1:]), 0.0, np.sqrt(s2[1:]))
    c[0] = 0.5 * math.log(2.0 * math.pi * s2[0])
    return c


# ----------------------------------------------------------------------------------------------
# the exact bound on Gaussian data
# ----------------------------------------------------------------------------------------------


def expected_kl_affine(mean_diff: ArrayLike, var_diff: ArrayLike, var_q: ArrayLike,
                       var_p: ArrayLike) -> NDArray[np.float64]:
    r"""Expected KL between two normals whose means differ by a random amount
    :math:`d = \mu_q - \mu_p` with mean ``mean_diff`` and variance ``var_diff``:

    .. math:: \mathbb E_d\,\mathrm{KL}\big(\mathcal N(\mu_q, v_q)\,\|\,\mathcal N(\mu_p, v_p)\big)
              = \mathrm{KL}\big(\mathcal N(\mathbb E d, v_q)\,\|\,\mathcal N(0, v_p)\big)
              + \frac{\mathrm{Var}\,d}{2 v_p},

    because the KL is quadratic in :math:`d` (its only d-term is :math:`d^2/(2v_p)`).
    """
    vd = v.array(var_diff, "var_diff")
    if (vd < 0).any():
        v.fail("var_diff", ">= 0", vd[vd < 0].flat[0])
    vp = v.positive(var_p, "var_p")
    return kl_normal(v.array(mean_diff, "mean_diff"), np.sqrt(v.positive(var_q, "var_q")),
                     0.0, np.sqrt(vp)) + vd / (2.0 * vp)


def gaussian_marginals(betas: ArrayLike, m: float, s: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Means and variances of :math:`q(x_t)` for t = 0..T when :math:`x_0\sim\mathcal N(m, s^2)`:
    :math:`\mu_t = \sqrt{\bar\alpha_t}\,m`, :math:`v_t = \bar\alpha_t s^2 + 1 - \bar\alpha_t`.
    Here (only) element t is step t, element 0 being the data. ``m`` and ``s`` > 0 are limited to
    :math:`|m| \le 10^{150}` and :math:`10^{-150} \le s \le 10^{150}`, so that :math:`s^2` and every
    moment of the exact bound are normal float64 numbers (``ValueError`` naming them otherwise)."""
    b = check_betas(betas)
    m, s = _data_moments(m, s)
    ab = np.concatenate(([1.0], alpha_bars(b)))
    one_minus = np.concatenate(([0.0], one_minus_alpha_bars(b)))
    return np.sqrt(ab) * m, ab * s**2 + one_minus


def _data_moments(m: Any, s: Any) -> tuple[float, float]:
    """Validated mean and standard deviation of the Gaussian data (see :func:`gaussian_marginals`)."""
    m_f = float(v.array(m, "m"))
    s_f = float(v.positive(s, "s"))
    if not abs(m_f) <= 1e150:
        v.fail("m", "in [-1e150, 1e150] (larger means overflow the squared terms of the bound)", m_f)
    if not 1e-150 <= s_f <= 1e150:
        v.fail("s", "in [1e-150, 1e150] (the data variance s^2 must be a normal float64)", s_f)
    return m_f, s_f


def gaussian_reverse_kernel(betas: ArrayLike, m: float, s: float
                            ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    r"""The true reverse conditional :math:`q(x_{t-1}\mid x_t) = \mathcal N(a_t x_t + b_t, r_t)` for
    Gaussian data :math:`x_0\sim\mathcal N(m, s^2)` (Gaussian conditioning on the joint of
    :math:`(x_{t-1}, x_t)`):

    .. math:: a_t = \frac{\sqrt{\alpha_t}\,v_{t-1}}{v_t},\quad b_t = \mu_{t-1} - a_t\mu_t
              = \frac{\sqrt{\bar\alpha_{t-1}}\,\beta_t}{v_t}\, m,\quad r_t = \frac{\beta_t\,v_{t-1}}{v_t}.

    (The closed form of :math:`b_t` uses :math:`v_t - \alpha_t v_{t-1} = \beta_t`; it avoids the
    cancellation of :math:`\mu_{t-1} - a_t\mu_t` when :math:`\beta_t` is tiny.)
    Returns ``(a, b, r)``, element t-1 is the paper's t.
    """
    bb = check_betas(betas)
    _, var = gaussian_marginals(bb, m, s)
    a = np.sqrt(1.0 - bb) * var[:-1] / var[1:]
    return a, _k_coefficients(bb, var) * float(m), bb * var[:-1] / var[1:]


def _k_coefficients(b: NDArray[np.float64], var: NDArray[np.float64]) -> NDArray[np.float64]:
    r""":math:`k_t = \sqrt{\bar\alpha_{t-1}}\,\beta_t / v_t` for t = 1..T (``var`` from
    :func:`gaussian_marginals`, element t = step t): the coefficient of :math:`x_0 - m` in the gap
    between the posterior mean :math:`\tilde\mu_t(x_t, x_0)` and the optimal reverse mean
    :math:`a_t x_t + b_t` (and in :math:`b_t = k_t m`)."""
    return np.sqrt(alpha_bars_prev(b)) * b / var[1:]


def kernel_variances(betas: ArrayLike, m: float, s: float, kernel: str) -> NDArray[np.float64]:
    r""":math:`\sigma_t^2` of the reverse kernel family: ``"exact"`` (the true reverse variance
    :math:`r_t`), ``"beta"`` or ``"beta_tilde"`` (see :func:`reverse_variances`), or
    ``"learned_range"``: :func:`interpolated_variance` at the best fraction for the data
    (:func:`gaussian_optimal_frac`) clipped to [0, 1], what a learned v can reach."""
    if kernel == "exact":
        return gaussian_reverse_kernel(betas, m, s)[2]
    if kernel == "learned_range":
        return interpolated_variance(betas, np.clip(gaussian_optimal_frac(betas, m, s), 0.0, 1.0))
    if kernel not in FIXED_VARIANCES:
        v.fail("kernel", f"one of {KERNELS}", kernel)
    return reverse_variances(betas, kernel)


@dataclass(frozen=True)
class GaussianBound:
    r"""Every term of the DDPM bound for Gaussian data, exactly, per dimension, in nats.

    ``terms[k]`` is :math:`L_k`: ``terms[0]`` = :math:`L_0` (decoder), ``terms[k]`` =
    :math:`L_k = \mathrm{KL}(q(x_k\mid x_{k+1},x_0)\|p(x_k\mid x_{k+1}))` for k = 1..T-1, and
    ``terms[T]`` = :math:`L_T` (prior). ``nll`` is the exact :math:`-\log p(x_0)` of the same model
    (for a point x0) or the cross-entropy :math:`\mathbb E_{q(x_0)}[-\log p(x_0)]`
    (in expectation), and ``data_entropy`` the differential entropy of the data (expectation only).
    """

    kernel: str
    terms: NDArray[np.float64]
    sigma2: NDArray[np.float64]
    nll: float
    model_mean: float
    model_var: float
    data_entropy: float | None

    @property
    def total(self) -> float:
        r"""The bound :math:`L = L_T + \sum_{t=2}^T L_{t-1} + L_0`, nats per dimension."""
        return float(self.terms.sum())

    @property
    def gap(self) -> float:
        r""":math:`L - (-\log p(x_0))` = :math:`\mathrm{KL}(q(x_{1:T}\mid x_0)\,\|\,p(x_{1:T}\mid x_0))`
        (averaged over :math:`x_0` in expectation), nats per dimension; always >= 0."""
        return self.total - self.nll


def gaussian_bound(betas: ArrayLike, m: float, s: float, kernel: str = "exact",
                   x0: float | None = None) -> GaussianBound:
    r"""The DDPM bound (Ho et al. 2020, eq. 5) computed EXACTLY for data :math:`x_0 \sim
    \mathcal N(m, s^2)` (per dimension), for a given ``x0`` or in expectation over :math:`x_0`
    (``x0=None``).

    Model: :math:`p(x_T) = \mathcal N(0, 1)`,
    :math:`p(x_{t-1}\mid x_t) = \mathcal N(a_t x_t + b_t, \sigma_t^2)` where :math:`a_t x_t + b_t
    = \mathbb E_q[x_{t-1}\mid x_t]` is the optimal mean for ANY fixed variance (it minimises
    :math:`\mathbb E_q\|\tilde\mu_t - \mu\|^2`), and the family of :math:`\sigma_t^2` is ``kernel``:

    - ``"exact"``: :math:`\sigma_t^2 = r_t`, the true reverse variance, so every kernel equals
      :math:`q(x_{t-1}\mid x_t)`; the gap is then :math:`\mathrm{KL}(q(x_T)\|\mathcal N(0,1)) -
      \mathrm{KL}(q(x_0)\|p(x_0))` in expectation.
    - ``"beta"`` / ``"beta_tilde"``: Ho et al.'s fixed variances; the bound is strictly above the NLL.
    - ``"learned_range"``: Nichol & Dhariwal's interpolated variance at its best value (see
      :func:`kernel_variances`).

    The decoder :math:`p(x_0\mid x_1)` is the continuous Gaussian of the same family (t = 1).
    The exact :math:`p(x_0)` is Gaussian: propagate :math:`\mathcal N(0,1)` through the kernels.
    """
    b = check_betas(betas)
    T = b.size
    m, s = _data_moments(m, s)
    sigma2 = kernel_variances(b, m, s, kernel)
    a, _, _ = gaussian_reverse_kernel(b, m, s)
    if x0 is None:
        m0, v0 = m, s**2
    else:
        m0, v0 = float(v.array(x0, "x0")), 0.0
        if not abs(m0) <= 1e150:
            v.fail("x0", "in [-1e150, 1e150] (larger values overflow the squared terms of the bound)", m0)
    one_minus_ab = one_minus_alpha_bars(b)
    beta_tilde = posterior_variance(b)
    for values, what in ((beta_tilde[1:], "every posterior variance beta_tilde_t (t >= 2)"),
                         (sigma2, f"every reverse variance sigma_t^2 of kernel {kernel!r}")):
        tiny = ~(values > 0)
        if tiny.any():
            t_bad = int(np.argmax(tiny)) + (2 if values is not sigma2 else 1)
            v.fail("betas", f"large enough that {what} is a positive float64", float(b[t_bad - 1]),
                   f" at t = {t_bad} (it underflows to 0)")
    _, var = gaussian_marginals(b, m, s)
    k = _k_coefficients(b, var)  # coefficient of x0 - m in the mean gap of every reverse step
    terms = np.empty(T + 1)

    # With x0 ~ N(m0, v0) and x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) eps, each mean gap below is
    # k (x0 - m) + h sqrt(1 - ab_t) eps: its mean is k (m0 - m), its variance k^2 v0 + h^2 (1 - ab_t).
    # The closed forms of k and h avoid the cancellations of the coefficients they replace.

    # L_T: q(x_T|x0) = N(sqrt(ab_T) x0, 1 - ab_T) against N(0, 1); the mean gap is sqrt(ab_T) x0.
    sqrt_ab_T = math.sqrt(float(alpha_bars(b)[-1]))
    terms[T] = expected_kl_affine(sqrt_ab_T * m0, sqrt_ab_T**2 * v0, one_minus_ab[-1], 1.0)

    # L_{t-1}, t = 2..T: mu_tilde - (a_t x_t + b_t), where h_t = coef_xt - a_t
    # = -sqrt(alpha_t) s^2 ab_{t-1} beta_t / ((1 - ab_t) v_t).
    i = np.arange(1, T)  # array index of the paper's t = i + 1
    h = -np.sqrt(1.0 - b[i]) * s**2 * alpha_bars_prev(b)[i] * b[i] / (one_minus_ab[i] * var[i + 1])
    md, vd = k[i] * (m0 - m), k[i] ** 2 * v0 + h**2 * one_minus_ab[i]
    terms[1:T] = expected_kl_affine(md, vd, beta_tilde[i], sigma2[i])

    # L_0 = E[-log N(x0; a_1 x_1 + b_1, sigma_1^2)]: residual k_1 (x0 - m) - a_1 sqrt(1 - ab_1) eps.
    md, vd = k[0] * (m0 - m), k[0] ** 2 * v0 + a[0] ** 2 * one_minus_ab[0]
    terms[0] = 0.5 * math.log(2.0 * math.pi * sigma2[0]) + (md**2 + vd) / (2.0 * sigma2[0])

    # The model's exact marginal p(x_0): N(0,1) pushed through the T linear-Gaussian kernels.
    mean_p, var_p = 0.0, 1.0
    c = k * m  # b_t = k_t m
    for j in range(T - 1, -1, -1):
        mean_p, var_p = a[j] * mean_p + c[j], a[j] ** 2 * var_p + sigma2[j]
    if x0 is None:
        data_entropy = float(gaussian_entropy(s))
        nll = data_entropy + float(kl_normal(m, s, mean_p, math.sqrt(var_p)))
    else:
        data_entropy = None
        nll = float(-stats.norm.logpdf(m0, mean_p, math.sqrt(var_p)))
    return GaussianBound(kernel=kernel, terms=terms, sigma2=sigma2, nll=nll, model_mean=float(mean_p),
                         model_var=float(var_p), data_entropy=data_entropy)


# ----------------------------------------------------------------------------------------------
# 2-D data and a small torch DDPM
# ----------------------------------------------------------------------------------------------


def ring_centres(k: int = 8, radius: float = 1.0) -> NDArray[np.float64]:
    r"""The ``k`` component means :math:`c_j = r(\cos(2\pi j/k), \sin(2\pi j/k))` of :func:`ring_mixture`."""
    k = v.integer(k, "k", lo=1)
    angle = 2.0 * np.pi * np.arange(k) / k
    return float(v.positive(radius, "radius")) * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def ring_mixture(n: int, seed: int = 0, k: int = 8, radius: float = 1.0, std: float = 0.1
                 ) -> NDArray[np.float64]:
    r"""``n`` points from an equal-weight mixture of ``k`` isotropic 2-D normals of standard
    deviation ``std`` whose means sit evenly on a circle of ``radius`` (numpy, fixed seed)."""
    return ring_mixture_labelled(n, seed, k, radius, std)[0]


def ring_mixture_labelled(n: int, seed: int = 0, k: int = 8, radius: float = 1.0, std: float = 0.1
                          ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    r"""The points of :func:`ring_mixture` (the same draws for the same arguments) and the component
    ``j`` in 0..k-1 each was drawn from, whose mean is ``ring_centres(k, radius)[j]``: the ring with
    its modes as class labels."""
    n = v.integer(n, "n", lo=1)
    centres = ring_centres(k, radius)
    std = float(v.positive(std, "std"))
    rng = np.random.default_rng(seed)
    comp = rng.integers(0, centres.shape[0], size=n)
    return centres[comp] + std * rng.standard_normal((n, 2)), comp.astype(np.int64)


def ring_mixture_logpdf(x: ArrayLike, k: int = 8, radius: float = 1.0, std: float = 0.1
                        ) -> NDArray[np.float64]:
    r"""Exact log density (nats) of :func:`ring_mixture`:
    :math:`\log\frac1k\sum_j \mathcal N(x; c_j, \mathrm{std}^2 I_2)`."""
    x = v.array(x, "x")
    if x.ndim != 2 or x.shape[1] != 2:
        v.fail("x", "an (n, 2) array", x.shape, " as its shape")
    centres = ring_centres(k, radius)
    std = float(v.positive(std, "std"))
    comp = stats.norm.logpdf(x[:, None, :], centres[None], std).sum(-1)
    from scipy.special import logsumexp

    return logsumexp(comp, axis=1) - math.log(centres.shape[0])


def ring_class_posterior(x: ArrayLike, k: int = 8, radius: float = 1.0, std: float = 0.1) -> NDArray[np.float64]:
    r"""The exact class posterior of :func:`ring_mixture_labelled`, by Bayes' rule with equal weights:
    :math:`p(c = j\mid x) = \mathcal N(x; c_j, \mathrm{std}^2 I) / \sum_i \mathcal N(x; c_i, \mathrm{std}^2 I)`;
    an (n, k) array (the Bayes classifier of the labelled ring)."""
    x = v.array(x, "x")
    if x.ndim != 2 or x.shape[1] != 2:
        v.fail("x", "an (n, 2) array", x.shape, " as its shape")
    centres = ring_centres(k, radius)
    std = float(v.positive(std, "std"))
    from scipy.special import softmax

    return np.asarray(softmax(-((x[:, None, :] - centres[None]) ** 2).sum(-1) / (2.0 * std**2), axis=1))


def ring_near_fraction(x: ArrayLike, r: float = 0.25, k: int = 8, radius: float = 1.0) -> float:
    r"""Fraction of the points ``x`` (shape ``(n, 2)``) within distance ``r`` of a mean of
    :func:`ring_mixture`: a measure of how much mass a model puts near the modes."""
    x = v.array(x, "x")
    if x.ndim != 2 or x.shape[1] != 2:
        v.fail("x", "an (n, 2) array", x.shape, " as its shape")
    r = float(v.positive(r, "r"))
    dist = np.linalg.norm(x[:, None, :] - ring_centres(k, radius)[None], axis=2).min(axis=1)
    return float(np.mean(dist < r))


def ring_near_probability(r: float = 0.25, k: int = 8, radius: float = 1.0, std: float = 0.1) -> float:
    r"""The exact value of :func:`ring_near_fraction` for :func:`ring_mixture` data, when the discs of
    radius ``r`` around the means do not overlap (``r`` at most half the distance between neighbouring
    means, :math:`2\,\mathrm{radius}\sin(\pi/k)`): the Rayleigh probability
    :math:`1 - e^{-r^2/(2\,\mathrm{std}^2)}` of its own disc, plus the (tiny) probability of landing
    in another component's disc, by quadrature of the noncentral distance distribution."""
    r = float(v.positive(r, "r"))
    std = float(v.positive(std, "std"))
    centres = ring_centres(k, radius)
    if k > 1 and 2 * r > np.linalg.norm(centres[1] - centres[0]):
        v.fail("r", f"at most half the distance between neighbouring means, "
                    f"{np.linalg.norm(centres[1] - centres[0]) / 2:.4g}", r)
    own = -math.expm1(-(r**2) / (2 * std**2))
    # another disc at distance d: |x - c_j|/std is noncentral chi with 2 dof and noncentrality d/std
    others = sum(stats.ncx2.cdf((r / std) ** 2, 2, (np.linalg.norm(c - centres[0]) / std) ** 2)
                 for c in centres[1:])
    return float(own + others)


def time_embedding(t: Any, dim: int = 32, dtype: Any = None) -> Any:
    r"""Sinusoidal embedding of the paper's step t (Vaswani et al. 2017, as in Ho et al. 2020,
    Sec. 4): :math:`[\sin(t\,\omega_j), \cos(t\,\omega_j)]_j` with
    :math:`\omega_j = 10000^{-j/(d/2-1)}`. ``t``: a torch tensor of steps; integers during training,
    any real t in between (a continuous-time reading of the same network, as the probability-flow
    ODE needs). ``dtype``: the floating dtype of the embedding (default ``torch.float32``; the
    ε-network passes its input's dtype, so a network in float64 runs in float64 throughout)."""
    import torch

    dtype = torch.float32 if dtype is None else dtype
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        v.fail("dtype", "a floating torch dtype (e.g. torch.float64)", dtype)
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=dtype) / max(half - 1, 1))
    args = t.to(dtype)[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


@functools.cache
def _eps_mlp_class() -> type:
    import torch
    from torch import nn

    class EpsMLP(nn.Module):
        r""":math:`\epsilon_\theta(x_t, t)`: an MLP whose every hidden layer receives the time embedding,
        :math:`h_{k+1} = \mathrm{SiLU}(W_k h_k + U_k\,\mathrm{emb}(t) + b_k)`, :math:`h_0 = x_t`.

        With ``n_classes`` it is :math:`\epsilon_\theta(x_t, t, c)`: each layer also adds a learned
        vector for the class c in 0..n_classes-1, or for the null label ``n_classes`` (no class: the
        unconditional model of classifier-free guidance)."""

        def __init__(self, data_dim: int = 2, hidden: int = 128, embed_dim: int = 32, depth: int = 3,
                     n_classes: int | None = None):
            super().__init__()
            self.embed_dim = embed_dim
            self.n_classes = n_classes
            widths = [data_dim] + [hidden] * depth
            self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))
            self.time = nn.ModuleList(nn.Linear(embed_dim, hidden, bias=False) for _ in range(depth))
            self.out = nn.Linear(hidden, data_dim)
            if n_classes is not None:  # created last, so an unconditional net initialises as before
                self.label = nn.ModuleList(nn.Embedding(n_classes + 1, hidden) for _ in range(depth))

        def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
            # A sampler step or a per-step error gives the whole batch one t: its embedding and their
            # projections U_k emb(t) (two fifths of the multiply-adds) are computed once and broadcast.
            # Training draws a t per example: row by row.
            one_t = t.dim() == 1 and t.numel() > 1 and bool((t == t[0]).all())
            emb = time_embedding(t[:1] if one_t else t, self.embed_dim, x.dtype)  # float64 x: float64 throughout
            h = x
            for k, (layer, time) in enumerate(zip(self.layers, self.time)):
                pre = layer(h) + time(emb)
                if self.n_classes is not None:
                    pre = pre + self.label[k](c)
                h = torch.nn.functional.silu(pre)
            return self.out(h)

    return EpsMLP


def make_eps_net(data_dim: int = 2, hidden: int = 128, embed_dim: int = 32, depth: int = 3,
                 seed: int = 0, n_classes: int | None = None) -> Any:
    """A fresh ε-network with weights initialised under ``torch.manual_seed(seed)``; with
    ``n_classes``, a class-conditional one (see :func:`train_cfg_ddpm`)."""
    import torch

    torch.manual_seed(seed)
    classes = None if n_classes is None else v.integer(n_classes, "n_classes", lo=1)
    return _eps_mlp_class()(v.integer(data_dim, "data_dim", lo=1), v.integer(hidden, "hidden", lo=1),
                            v.integer(embed_dim, "embed_dim", lo=2), v.integer(depth, "depth", lo=1), classes)


@dataclass
class TrainedDDPM:
    """A trained ε-network with its schedule and the per-step training loss (L_simple)."""

    model: Any
    betas: NDArray[np.float64]
    losses: NDArray[np.float64]


#: Floating dtypes the ε-network can be trained and run in.
DTYPES = ("float32", "float64")


def _torch_dtype(dtype: str) -> Any:
    import torch

    if dtype not in DTYPES:
        v.fail("dtype", f"one of {DTYPES}", dtype)
    return getattr(torch, dtype)


def train_ddpm(data: ArrayLike, betas: ArrayLike, *, steps: int = 3000, batch_size: int = 256,
               lr: float = 2e-3, hidden: int = 128, seed: int = 0, dtype: str = "float32") -> TrainedDDPM:
    r"""Train :math:`\epsilon_\theta` on :math:`L_\text{simple} = \mathbb E_{t,x_0,\epsilon}
    \|\epsilon - \epsilon_\theta(\sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t)\|^2`
    (Ho et al. 2020, eq. 14 and Algorithm 1; t uniform on 1..T), with Adam.

    Deterministic for a fixed ``seed`` on one thread: weights, minibatches, t and ε all come from
    seeded generators (call ``torch.set_num_threads(1)`` first for bit-identical runs).
    The loss recorded per step is the minibatch mean over examples of :math:`\|\epsilon-\epsilon_\theta\|^2`
    (summed over dimensions). The learning rate decays from ``lr`` to ``lr/20`` on a cosine.
    ``dtype``: ``"float32"`` (default) or ``"float64"`` -- the network, the data, the noise and the time
    embedding all use it; :func:`ddpm_sample` and :func:`ddpm_eps_mse` follow the trained model's dtype.
    """
    return _train(data, None, None, betas, steps=steps, batch_size=batch_size, lr=lr, hidden=hidden, seed=seed,
                  p_uncond=0.0, dtype=dtype)


def train_cfg_ddpm(data: ArrayLike, labels: ArrayLike, n_classes: int, betas: ArrayLike, *,
                   p_uncond: float = 0.2, steps: int = 3000, batch_size: int = 256, lr: float = 2e-3,
                   hidden: int = 128, seed: int = 0, dtype: str = "float32") -> TrainedDDPM:
    r"""Train ONE class-conditional network for classifier-free guidance (Ho & Salimans 2022,
    Algorithm 1): :math:`L_\text{simple}` on :math:`\epsilon_\theta(x_t, t, c)`, where each example's
    label is replaced by the null label :math:`\varnothing` (``n_classes``) with probability
    ``p_uncond``, so that :math:`\epsilon_\theta(x_t, t, \varnothing)` learns the unconditional model.

    ``labels``: integers in 0..n_classes-1, one per row of ``data``. Deterministic like
    :func:`train_ddpm`; ``dtype`` as there.
    """
    k = v.integer(n_classes, "n_classes", lo=1)
    c = np.asarray(labels)
    if c.ndim != 1 or not np.issubdtype(c.dtype, np.integer):
        v.fail("labels", "a 1-D integer array (one class per example)", c.dtype, " as its type" if c.ndim == 1
               else " as its type (of shape " + str(c.shape) + ")")
    if c.size and (c.min() < 0 or c.max() >= k):
        bad = c[(c < 0) | (c >= k)]
        v.fail("labels", f"in 0..{k - 1} (n_classes = {k})", int(bad[0]))
    p = float(v.in_interval(p_uncond, "p_uncond", 0.0, 1.0))
    return _train(data, c, k, betas, steps=steps, batch_size=batch_size, lr=lr, hidden=hidden, seed=seed,
                  p_uncond=p, dtype=dtype)


def _train(data: ArrayLike, labels: NDArray[np.int64] | None, n_classes: int | None, betas: ArrayLike, *,
           steps: int, batch_size: int, lr: float, hidden: int, seed: int, p_uncond: float,
           dtype: str) -> TrainedDDPM:
    """The training loop of :func:`train_ddpm` (``labels`` None) and :func:`train_cfg_ddpm`."""
    import torch

    torch_dtype = _torch_dtype(dtype)
    b = check_betas(betas)
    x = v.array(data, "data")
    if x.ndim != 2:
        v.fail("data", "an (n, d) array", x.shape, " as its shape")
    if labels is not None and labels.shape[0] != x.shape[0]:
        v.fail("labels", f"of length {x.shape[0]} (one per row of data)", labels.shape[0], " as its length")
    steps = v.integer(steps, "steps", lo=1)
    batch_size = v.integer(batch_size, "batch_size", lo=1)
    lr = float(v.positive(lr, "lr"))
    T = b.size
    model = make_eps_net(x.shape[1], hidden=hidden, seed=seed, n_classes=n_classes).to(torch_dtype)
    gen = torch.Generator().manual_seed(seed)
    x_all = torch.as_tensor(x, dtype=torch_dtype)
    c_all = None if labels is None else torch.as_tensor(labels, dtype=torch.int64)
    sqrt_ab = torch.as_tensor(np.sqrt(alpha_bars(b)), dtype=torch_dtype)
    sqrt_1m_ab = torch.as_tensor(np.sqrt(one_minus_alpha_bars(b)), dtype=torch_dtype)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr * 0.05)
    losses = np.empty(steps)
    for step in range(steps):
        idx = torch.randint(0, x_all.shape[0], (batch_size,), generator=gen)
        t = torch.randint(1, T + 1, (batch_size,), generator=gen)  # paper's 1-based t
        eps = torch.randn((batch_size, x_all.shape[1]), generator=gen, dtype=torch_dtype)
        xt = sqrt_ab[t - 1, None] * x_all[idx] + sqrt_1m_ab[t - 1, None] * eps
        if c_all is None:
            pred = model(xt, t)
        else:  # label dropout: the null label n_classes with probability p_uncond
            drop = torch.rand((batch_size,), generator=gen) < p_uncond
            pred = model(xt, t, torch.where(drop, torch.full_like(c_all[idx], n_classes), c_all[idx]))
        loss = ((eps - pred) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses[step] = loss.item()
    model.eval()
    return TrainedDDPM(model=model, betas=b, losses=losses)


def cached_train_ddpm(data: ArrayLike, betas: ArrayLike, *, cache_dir: str | os.PathLike[str] | None = None,
                      **kwargs: Any) -> TrainedDDPM:
    r""":func:`train_ddpm` through the on-disk memo of :mod:`genmath.memo`, so that several snippets
    (separate processes) share one training run.

    The memo is keyed on everything the weights depend on: the data and the schedule (their bytes),
    the keyword arguments, the source of this module (the network and the training loop), the torch
    and numpy versions and torch's thread count. Training is deterministic, so a hit returns the very
    weights (and losses) a fresh run would. ``cache_dir``: ``$GENMATH_CACHE_DIR``, else
    ``.genmath-cache`` in the current directory (the project root during a site build); entries go to
    its ``models/``.
    """
    b = check_betas(betas)
    x = v.array(data, "data")
    kw = memo.keywords(train_ddpm, kwargs)
    return _memo("ddpm", [x, b], kw, lambda: train_ddpm(x, b, **kw), x.shape[1], None, b, cache_dir)


def cached_train_cfg_ddpm(data: ArrayLike, labels: ArrayLike, n_classes: int, betas: ArrayLike, *,
                          cache_dir: str | os.PathLike[str] | None = None, **kwargs: Any) -> TrainedDDPM:
    """:func:`train_cfg_ddpm` through the on-disk memo, as :func:`cached_train_ddpm` (the labels and
    ``n_classes`` are part of the key too)."""
    b = check_betas(betas)
    x = v.array(data, "data")
    c = np.asarray(labels)
    k = v.integer(n_classes, "n_classes", lo=1)
    kw = memo.keywords(train_cfg_ddpm, kwargs)
    return _memo("cfg-ddpm", [x, c, b], {**kw, "n_classes": k}, lambda: train_cfg_ddpm(x, c, k, b, **kw),
                 x.shape[1], k, b, cache_dir)


def _memo(kind: str, arrays: list[Any], kw: dict[str, Any], train: Any, dim: int, n_classes: int | None,
          b: NDArray[np.float64], cache_dir: str | os.PathLike[str] | None) -> TrainedDDPM:
    """A trained ε-network through :func:`genmath.memo.memo`: stored as its state_dict and losses,
    rebuilt by :func:`make_eps_net` from the keyword arguments ``kw``."""

    def to_state(trained: TrainedDDPM) -> dict[str, Any]:
        return {"model": trained.model.state_dict(), "losses": memo.tensor(trained.losses)}

    def from_state(state: dict[str, Any]) -> TrainedDDPM:
        model = make_eps_net(dim, hidden=kw["hidden"], seed=kw["seed"], n_classes=n_classes)
        model = model.to(_torch_dtype(kw["dtype"]))
        model.load_state_dict(state["model"])
        model.eval()
        return TrainedDDPM(model=model, betas=b, losses=memo.array(state["losses"]))

    return memo.memo(kind, __file__, arrays, kw, train, to_state, from_state, cache_dir=cache_dir)


def _ancestral(eps_fn: Any, betas: NDArray[np.float64], n: int, dim: int, kind: str, seed: int,
               record: tuple[int, ...], dtype: Any) -> tuple[NDArray[np.float64], dict[int, NDArray[np.float64]]]:
    """Algorithm 2 of Ho et al. (2020) for any noise predictor ``eps_fn(x, t)`` (torch, in ``dtype``)."""
    import torch

    T = betas.size
    sigma = torch.as_tensor(np.sqrt(reverse_variances(betas, kind)), dtype=dtype)
    coef_eps = torch.as_tensor(betas / np.sqrt(one_minus_alpha_bars(betas)), dtype=dtype)
    inv_sqrt_alpha = torch.as_tensor(1.0 / np.sqrt(1.0 - betas), dtype=dtype)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((n, dim), generator=gen, dtype=dtype)
    states: dict[int, NDArray[np.float64]] = {}
    if T in record:
        states[T] = x.numpy().astype(np.float64)
    with torch.no_grad():
        for t in range(T, 0, -1):
            tt = torch.full((n,), t, dtype=torch.int64)
            mean = inv_sqrt_alpha[t - 1] * (x - coef_eps[t - 1] * eps_fn(x, tt))
            z = torch.randn((n, dim), generator=gen, dtype=dtype) if t > 1 else torch.zeros((n, dim), dtype=dtype)
            x = mean + sigma[t - 1] * z
            if t - 1 in record:
                states[t - 1] = x.numpy().astype(np.float64)
    return x.numpy().astype(np.float64), states


def ddpm_sample(trained: TrainedDDPM, n: int, *, kind: str = "beta", seed: int = 0,
                record: tuple[int, ...] = ()) -> tuple[NDArray[np.float64], dict[int, NDArray[np.float64]]]:
    r"""Ancestral sampling (Ho et al. 2020, Algorithm 2): :math:`x_T\sim\mathcal N(0, I)`, then for
    t = T..1, :math:`x_{t-1} = \mu_\theta(x_t, t) + \sigma_t z` with :math:`z\sim\mathcal N(0,I)`
    for t > 1 and z = 0 at t = 1. Returns the samples :math:`x_0` and the states :math:`x_t` for the
    paper steps listed in ``record`` (0 allowed, meaning :math:`x_0`)."""
    b = trained.betas
    T = b.size
    n = v.integer(n, "n", lo=1)
    for r in record:
        v.integer(r, "record", lo=0, hi=T)
    dtype = next(trained.model.parameters()).dtype
    return _ancestral(trained.model, b, n, trained.model.out.out_features, kind, seed, record, dtype)


def guided_eps(eps_cond: Any, eps_uncond: Any, w: float) -> Any:
    r"""The classifier-free guided noise prediction (Ho & Salimans 2022, eq. 6):

    .. math:: \tilde\epsilon_\theta(x_t, c) = (1 + w)\,\epsilon_\theta(x_t, c) - w\,\epsilon_\theta(x_t).

    w = 0 is the conditional model, w = -1 the unconditional one; the guided model is the noise
    predictor of the tilted density :math:`p(x_t\mid c)\,p(c\mid x_t)^w` (see the chapter). Works on
    numpy arrays and torch tensors alike.
    """
    w = float(v.array(w, "w"))
    return (1.0 + w) * eps_cond - w * eps_uncond


def cfg_sample(trained: TrainedDDPM, labels: ArrayLike, w: float, *, kind: str = "beta", seed: int = 0
               ) -> NDArray[np.float64]:
    r"""Ancestral sampling (Ho et al. 2020, Algorithm 2) of a network trained by :func:`train_cfg_ddpm`
    with the guided prediction :func:`guided_eps` (Ho & Salimans 2022, Algorithm 2 with the DDPM
    sampler): one sample per entry of ``labels``."""
    import torch

    model = trained.model
    if getattr(model, "n_classes", None) is None:
        v.fail("trained", "a class-conditional network (from train_cfg_ddpm)", "an unconditional one")
    c = np.asarray(labels)
    if c.ndim != 1 or c.size == 0 or not np.issubdtype(c.dtype, np.integer):
        v.fail("labels", "a non-empty 1-D integer array", c.shape, " as its shape")
    if c.min() < 0 or c.max() >= model.n_classes:
        v.fail("labels", f"in 0..{model.n_classes - 1}", int(c[(c < 0) | (c >= model.n_classes)][0]))
    w = float(v.array(w, "w"))
    cond = torch.as_tensor(c, dtype=torch.int64)
    null = torch.full_like(cond, model.n_classes)

    def eps_fn(x: Any, t: Any) -> Any:
        return guided_eps(model(x, t, cond), model(x, t, null), w)

    dtype = next(model.parameters()).dtype
    return _ancestral(eps_fn, trained.betas, c.size, model.out.out_features, kind, seed, (), dtype)[0]


@dataclass(frozen=True)
class BoundEstimate:
    r"""A Monte Carlo estimate of the bound :math:`L` for a trained model, nats per example
    (summed over the ``dim`` data dimensions), with its standard error and the exact
    :math:`\sum`-decomposition: ``prior`` = :math:`L_T`, ``per_step[t-1]`` = the t-th term
    (:math:`L_{t-1}`, so ``per_step[0]`` = :math:`L_0`)."""

    kind: str
    total: float
    stderr: float
    prior: float
    per_step: NDArray[np.float64]
    dim: int
    #: the (n, T) per-example terms whose column means are ``per_step`` (importance sampling of t needs them)
    terms: NDArray[np.float64] | None = None
    #: the bound of each example (its mean is ``total``), for paired comparisons
    per_example: NDArray[np.float64] | None = None

    @property
    def nats_per_dim(self) -> float:
        return self.total / self.dim

    @property
    def bits_per_dim(self) -> float:
        from genmath.mle import bits_per_dim

        return float(bits_per_dim(self.total, self.dim))


def ddpm_eps_mse(trained: TrainedDDPM, x0: ArrayLike, *, seed: int = 0) -> NDArray[np.float64]:
    r"""For every example and EVERY step t = 1..T, :math:`\|\epsilon - \epsilon_\theta(x_t, t)\|^2`
    with one fresh ε per (example, t). Returns an (n, T) array; column t-1 is the paper's t."""
    import torch

    b = trained.betas
    T = b.size
    dtype = next(trained.model.parameters()).dtype
    x = torch.as_tensor(v.array(x0, "x0"), dtype=dtype)
    gen = torch.Generator().manual_seed(seed)
    sqrt_ab = torch.as_tensor(np.sqrt(alpha_bars(b)), dtype=dtype)
    sqrt_1m_ab = torch.as_tensor(np.sqrt(one_minus_alpha_bars(b)), dtype=dtype)
    out = np.empty((x.shape[0], T))
    with torch.no_grad():
        for t in range(1, T + 1):
            eps = torch.randn(x.shape, generator=gen, dtype=dtype)
            xt = sqrt_ab[t - 1] * x + sqrt_1m_ab[t - 1] * eps
            tt = torch.full((x.shape[0],), t, dtype=torch.int64)
            out[:, t - 1] = ((eps - trained.model(xt, tt)) ** 2).sum(1).double().numpy()
    return out


def bound_from_eps_mse(eps_mse: ArrayLike, x0: ArrayLike, betas: ArrayLike, kind: str = "beta"
                       ) -> BoundEstimate:
    r"""The bound :math:`L = L_T + \sum_{t=1}^T \big(\lambda_t\,\|\epsilon-\epsilon_\theta\|^2
    + D\,C_t\big)` per example (Ho et al. 2020, eqs. 5 and 12; :math:`C_t` from
    :func:`bound_constants`, D = data dimension), averaged over the examples, with its standard
    error. :math:`L_T` is exact for each :math:`x_0` (:func:`prior_term`)."""
    b = check_betas(betas)
    mse = v.array(eps_mse, "eps_mse")
    x = v.array(x0, "x0")
    if mse.ndim != 2 or mse.shape != (x.shape[0], b.size):
        v.fail("eps_mse", f"an (n, T) = ({x.shape[0]}, {b.size}) array", mse.shape, " as its shape")
    sigma2 = reverse_variances(b, kind)
    lam = loss_weights(b, sigma2)
    const = bound_constants(b, sigma2)
    dim = x.shape[1]
    ab_T, one_minus_ab_T = alpha_bars(b)[-1], one_minus_alpha_bars(b)[-1]
    prior = prior_term(np.sqrt(ab_T) * x, np.full(x.shape, one_minus_ab_T)).sum(1)
    per_example_steps = lam[None] * mse + dim * const[None]
    per_example = prior + per_example_steps.sum(1)
    n = x.shape[0]
    return BoundEstimate(kind=kind, total=float(per_example.mean()),
                         stderr=float(per_example.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf,
                         prior=float(prior.mean()), per_step=per_example_steps.mean(0), dim=dim,
                         terms=per_example_steps, per_example=per_example)


# ----------------------------------------------------------------------------------------------
# prediction targets: epsilon, x_0 and v
# ----------------------------------------------------------------------------------------------


def _alpha_bar(alpha_bar: ArrayLike, name: str = "alpha_bar") -> NDArray[np.float64]:
    return v.in_interval(alpha_bar, name, 0.0, 1.0)


def predict_x0(xt: ArrayLike, eps: ArrayLike, alpha_bar: ArrayLike) -> NDArray[np.float64]:
    r"""The :math:`x_0` implied by a noise prediction (Ho et al. 2020, eq. 15), solving
    :math:`x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon` for :math:`x_0`:

    .. math:: \hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\epsilon}{\sqrt{\bar\alpha_t}}.

    ``alpha_bar`` (:math:`\bar\alpha_t`) broadcasts against ``xt``.
    """
    ab = _alpha_bar(alpha_bar)
    x, e = v.array(xt, "xt"), v.array(eps, "eps")
    v.same_shape(x, e, "xt", "eps")
    return (x - np.sqrt(1.0 - ab) * e) / np.sqrt(ab)


def velocity(x0: ArrayLike, eps: ArrayLike, alpha_bar: ArrayLike) -> NDArray[np.float64]:
    r"""The v-prediction target of Salimans & Ho (2022, Sec. 4 and Appendix D):

    .. math:: v = \sqrt{\bar\alpha_t}\,\epsilon - \sqrt{1-\bar\alpha_t}\,x_0,

    the velocity :math:`dx_t/d\phi` of :math:`x_t = \cos\phi\,x_0 + \sin\phi\,\epsilon` at
    :math:`\cos\phi = \sqrt{\bar\alpha_t}` (diffusers' ``get_velocity``).
    """
    ab = _alpha_bar(alpha_bar)
    x, e = v.array(x0, "x0"), v.array(eps, "eps")
    v.same_shape(x, e, "x0", "eps")
    return np.sqrt(ab) * e - np.sqrt(1.0 - ab) * x


def eps_x0_from_velocity(xt: ArrayLike, vel: ArrayLike, alpha_bar: ArrayLike
                         ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Noise and data implied by a v-prediction (Salimans & Ho 2022, Appendix D): the rotation
    :math:`(x_t, v)` of :math:`(x_0, \epsilon)` inverted,

    .. math:: \epsilon = \sqrt{1-\bar\alpha_t}\,x_t + \sqrt{\bar\alpha_t}\,v, \qquad
              x_0 = \sqrt{\bar\alpha_t}\,x_t - \sqrt{1-\bar\alpha_t}\,v.
    """
    ab = _alpha_bar(alpha_bar)
    x, u = v.array(xt, "xt"), v.array(vel, "vel")
    v.same_shape(x, u, "xt", "vel")
    return np.sqrt(1.0 - ab) * x + np.sqrt(ab) * u, np.sqrt(ab) * x - np.sqrt(1.0 - ab) * u


#: The prediction targets compared in the chapter.
TARGETS = ("eps", "x0", "v")


def target_mse_factor(alpha_bar: ArrayLike, target: str) -> NDArray[np.float64]:
    r"""How a target's squared error relates to the noise's: for predictions that imply each other,

    .. math:: \|x_0 - \hat x_0\|^2 = \frac{\|\epsilon-\hat\epsilon\|^2}{\mathrm{SNR}(t)}, \qquad
              \|v - \hat v\|^2 = \frac{\|\epsilon-\hat\epsilon\|^2}{\bar\alpha_t},

    so the factor is 1 (``"eps"``), :math:`1/\mathrm{SNR}(t) = (1-\bar\alpha_t)/\bar\alpha_t`
    (``"x0"``) or :math:`1/\bar\alpha_t` (``"v"``); Salimans & Ho (2022, Sec. 4) write the same
    weights in x-space as SNR, 1 and SNR + 1.
    """
    ab = _alpha_bar(alpha_bar)
    factors = {"eps": np.ones_like(ab), "x0": (1.0 - ab) / ab, "v": 1.0 / ab}
    if target not in factors:
        v.fail("target", f"one of {TARGETS}", target)
    return factors[target]


def elbo_weighting(betas: ArrayLike, target: str) -> NDArray[np.float64]:
    r"""The implied weighting of a prediction target: training on its squared error with t uniform
    on 1..T is a weighted sum of the bound's terms (:math:`\sigma_t^2 = \tilde\beta_t`, t = 2..T),

    .. math:: \frac{1}{T}\sum_{t=1}^{T}\mathbb E\|y - \hat y\|^2
              = \sum_{t} w(t)\,\lambda_t\,\mathbb E\|\epsilon - \hat\epsilon\|^2, \qquad
              w(t) = \frac{c(t)}{T\lambda_t},

    with :math:`c(t)` from :func:`target_mse_factor` and :math:`\lambda_t =
    \frac{\mathrm{SNR}(t-1)-\mathrm{SNR}(t)}{2\,\mathrm{SNR}(t)}` (Kingma et al. 2021). w = 1 at
    every t would be the bound itself. Returns w(t) for t = 2..T (element 0 is t = 2).
    """
    b = check_betas(betas)
    if b.size < 2:
        v.fail("betas", "of length >= 2 (the weighting starts at t = 2)", b.size, " as its length")
    s = snr(b)
    lam = (s[:-1] - s[1:]) / (2.0 * s[1:])
    return target_mse_factor(alpha_bars(b)[1:], target) / (b.size * lam)


# ----------------------------------------------------------------------------------------------
# continuous time: the bound as an integral over the SNR (Kingma et al. 2021)
# ----------------------------------------------------------------------------------------------


def alpha_bars_from_log_snr(log_snr_values: ArrayLike) -> NDArray[np.float64]:
    r""":math:`\bar\alpha = \mathrm{SNR}/(1+\mathrm{SNR}) = \mathrm{sigmoid}(\lambda)` for log-SNRs
    :math:`\lambda` (variance preserving: :math:`1-\bar\alpha = \mathrm{sigmoid}(-\lambda)`)."""
    from scipy.special import expit

    return np.asarray(expit(v.array(log_snr_values, "log_snr_values")), dtype=np.float64)


def gaussian_x0_mmse(snr_values: ArrayLike, s: float) -> NDArray[np.float64]:
    r"""The error of the best denoiser for data :math:`x_0 \sim \mathcal N(m, s^2)` (per dimension):

    .. math:: \mathbb E\big(x_0 - \mathbb E[x_0\mid x_t]\big)^2 = \frac{s^2}{1 + \mathrm{SNR}\,s^2},

    the posterior variance of a Gaussian prior (precision :math:`1/s^2`) observed through
    :math:`x_t/\sqrt{\bar\alpha_t} = x_0 + \epsilon/\sqrt{\mathrm{SNR}}` (precision SNR).
    """
    snr_arr = v.array(snr_values, "snr_values")
    if (snr_arr < 0).any():
        v.fail("snr_values", ">= 0", snr_arr[snr_arr < 0].flat[0])
    s2 = float(v.positive(s, "s")) ** 2
    return s2 / (1.0 + snr_arr * s2)


def _check_alpha_bars(alpha_bar: ArrayLike) -> NDArray[np.float64]:
    ab = _alpha_bar(alpha_bar)
    if ab.ndim != 1 or ab.size < 2:
        v.fail("alpha_bar", "a 1-D array of length >= 2", ab.shape, " as its shape")
    if (np.diff(ab) >= 0).any():
        i = int(np.argmax(np.diff(ab) >= 0))
        v.fail("alpha_bar", "strictly decreasing (a noise schedule)", ab[i + 1], f" (at index ({i + 1},))")
    return ab


def gaussian_diffusion_loss(alpha_bar: ArrayLike, s: float) -> float:
    r"""The middle terms :math:`\sum_{t=2}^T L_{t-1}` of the bound for data :math:`\mathcal N(m, s^2)`
    with the best means and :math:`\sigma_t^2 = \tilde\beta_t` (nats per dimension), in the x-space
    form of Kingma et al. (2021, eq. 13):

    .. math:: \sum_{t=2}^{T} L_{t-1} = \frac12\sum_{t=2}^{T}\big(\mathrm{SNR}(t-1) - \mathrm{SNR}(t)\big)\,
              \mathbb E\big(x_0 - \mathbb E[x_0\mid x_t]\big)^2 .

    ``alpha_bar``: :math:`\bar\alpha_1, \dots, \bar\alpha_T`, strictly decreasing (any schedule, e.g.
    from :func:`alpha_bars_from_log_snr`). It equals the middle terms of
    ``gaussian_bound(betas, m, s, "beta_tilde")`` for the same schedule.
    """
    ab = _check_alpha_bars(alpha_bar)
    ratio = ab / (1.0 - ab)
    return float(0.5 * np.sum((ratio[:-1] - ratio[1:]) * gaussian_x0_mmse(ratio[1:], s)))


def gaussian_diffusion_loss_continuous(snr_min: float, snr_max: float, s: float) -> float:
    r"""The T → ∞ limit of :func:`gaussian_diffusion_loss` (Kingma et al. 2021, eq. 18), nats per
    dimension: the integral over the SNR depends on the schedule only through its end points,

    .. math:: L_\infty = \frac12\int_{\mathrm{SNR}_{\min}}^{\mathrm{SNR}_{\max}} \frac{s^2}{1+u\,s^2}\,du
              = \frac12\log\frac{1 + s^2\,\mathrm{SNR}_{\max}}{1 + s^2\,\mathrm{SNR}_{\min}} .
    """
    lo = float(v.positive(snr_min, "snr_min"))
    hi = float(v.positive(snr_max, "snr_max"))
    if hi <= lo:
        v.fail("snr_max", f"> snr_min = {lo!r}", hi)
    s2 = float(v.positive(s, "s")) ** 2
    return 0.5 * (math.log1p(s2 * hi) - math.log1p(s2 * lo))


# ----------------------------------------------------------------------------------------------
# learned variances and importance sampling of t (Nichol & Dhariwal 2021)
# ----------------------------------------------------------------------------------------------


def interpolated_variance(betas: ArrayLike, frac: ArrayLike) -> NDArray[np.float64]:
    r"""The learned reverse variance of Nichol & Dhariwal (2021, eq. 15), a log-linear interpolation
    between the two fixed choices:

    .. math:: \Sigma_\theta(x_t, t) = \exp\big(v\log\beta_t + (1-v)\log\tilde\beta_t\big),

    with :math:`\tilde\beta_1` replaced by :math:`\tilde\beta_2` (their code's
    ``posterior_log_variance_clipped``). ``frac``: v for t = 1..T (or one v for all); v in [0, 1]
    stays between :math:`\tilde\beta_t` and :math:`\beta_t`.
    """
    b = check_betas(betas)
    frac_arr = np.broadcast_to(v.array(frac, "frac"), b.shape)
    lo = np.log(reverse_variances(b, "beta_tilde"))
    return np.exp(frac_arr * np.log(b) + (1.0 - frac_arr) * lo)


def gaussian_optimal_frac(betas: ArrayLike, m: float, s: float) -> NDArray[np.float64]:
    r"""The interpolation v of :func:`interpolated_variance` that makes each reverse kernel exact for
    Gaussian data :math:`\mathcal N(m, s^2)`: the best variance of a kernel with the best mean is
    the true reverse variance :math:`r_t` (:func:`gaussian_reverse_kernel`), so

    .. math:: v_t = \frac{\log r_t - \log\tilde\beta_t}{\log\beta_t - \log\tilde\beta_t},

    in [0, 1] when :math:`s \le 1` and t >= 2 (then :math:`\tilde\beta_t \le r_t \le \beta_t`).
    """
    b = check_betas(betas)
    r = gaussian_reverse_kernel(b, m, s)[2]
    lo = np.log(reverse_variances(b, "beta_tilde"))
    return (np.log(r) - lo) / (np.log(b) - lo)


def importance_probs(second_moments: ArrayLike) -> NDArray[np.float64]:
    r"""The sampling law of t that minimises the variance of the one-sample estimate
    :math:`L_t/p_t` of :math:`\sum_t L_t` (Nichol & Dhariwal 2021, eq. 18):

    .. math:: p_t = \frac{\sqrt{\mathbb E[L_t^2]}}{\sum_{s}\sqrt{\mathbb E[L_s^2]}} .
    """
    m = v.array(second_moments, "second_moments")
    if m.ndim != 1 or m.size == 0:
        v.fail("second_moments", "a non-empty 1-D array (one per step)", m.shape, " as its shape")
    if (m < 0).any():
        v.fail("second_moments", ">= 0", m[m < 0].flat[0])
    if not m.any():
        v.fail("second_moments", "not all zero", m)
    root = np.sqrt(m)
    return root / root.sum()


def estimator_variance(terms: ArrayLike, probs: ArrayLike) -> float:
    r"""Variance of the one-sample estimate of the bound :math:`L = \sum_t \mathbb E_i[\ell_{i,t}]`
    that draws an example i uniformly and a step :math:`t \sim p` and returns
    :math:`\ell_{i,t}/p_t`:

    .. math:: \mathrm{Var} = \sum_t \frac{\mathbb E_i[\ell_{i,t}^2]}{p_t} - L^2 .

    ``terms``: an (n, T) array of per-example terms; ``probs``: p over the T steps.
    """
    ell = v.array(terms, "terms")
    if ell.ndim != 2 or ell.shape[1] == 0:
        v.fail("terms", "an (n, T) array", ell.shape, " as its shape")
    p = v.probabilities(probs, "probs")
    if p.shape != (ell.shape[1],):
        v.fail("probs", f"of shape ({ell.shape[1]},) (one per column of terms)", p.shape, " as its shape")
    if (p <= 0).any():
        v.fail("probs", "> 0 for every step", p[p <= 0].flat[0])
    total = ell.mean(0).sum()
    return float(np.sum((ell**2).mean(0) / p) - total**2)


# ----------------------------------------------------------------------------------------------
# sample quality: the Frechet distance (FID)
# ----------------------------------------------------------------------------------------------


def _mean_cov(mean: ArrayLike, cov: ArrayLike, which: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    m = v.array(mean, f"mean{which}")
    c = v.array(cov, f"cov{which}")
    if m.ndim != 1 or c.shape != (m.size, m.size):
        v.fail(f"cov{which}", f"a ({m.size}, {m.size}) matrix (mean{which} has {m.size} entries)", c.shape,
               " as its shape")
    if not np.allclose(c, c.T, rtol=1e-10, atol=1e-12):
        v.fail(f"cov{which}", "symmetric", c)
    low = float(np.linalg.eigvalsh(c).min())
    if low < -1e-10 * max(1.0, float(np.abs(c).max())):
        v.fail(f"cov{which}", "positive semi-definite", low, " as its smallest eigenvalue")
    return m, c


def frechet_distance(mean1: ArrayLike, cov1: ArrayLike, mean2: ArrayLike, cov2: ArrayLike) -> float:
    r"""The squared Fréchet (2-Wasserstein) distance between two Gaussians (Dowson & Landau 1982),
    which FID applies to Gaussians fitted to Inception features (Heusel et al. 2017, eq. 6):

    .. math:: d^2 = \|\mu_1 - \mu_2\|^2 + \operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2
              - 2\operatorname{tr}\big(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}\big)^{1/2} .

    The last trace is :math:`\sum_i\sqrt{\lambda_i}` over the eigenvalues of the symmetric
    :math:`\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2}` (the same as those of :math:`\Sigma_1\Sigma_2`).
    """
    m1, c1 = _mean_cov(mean1, cov1, "1")
    m2, c2 = _mean_cov(mean2, cov2, "2")
    if m1.shape != m2.shape:
        v.fail("mean2", f"of shape {m1.shape} (as mean1)", m2.shape, " as its shape")
    w, u = np.linalg.eigh(c1)
    root1 = (u * np.sqrt(np.clip(w, 0.0, None))) @ u.T
    middle = root1 @ c2 @ root1
    lam = np.clip(np.linalg.eigvalsh((middle + middle.T) / 2.0), 0.0, None)  # rounding can give -1e-17
    diff = m1 - m2
    return float(diff @ diff + np.trace(c1) + np.trace(c2) - 2.0 * np.sqrt(lam).sum())


def frechet_distance_samples(x: ArrayLike, y: ArrayLike) -> float:
    r""":func:`frechet_distance` between Gaussians fitted to two samples (means and covariances with
    n - 1 in the denominator, as pytorch-fid does): the FID recipe with the features given."""
    a, b = v.array(x, "x"), v.array(y, "y")
    for arr, name in ((a, "x"), (b, "y")):
        if arr.ndim != 2 or arr.shape[0] < 2:
            v.fail(name, "an (n, d) array with n >= 2", arr.shape, " as its shape")
    if a.shape[1] != b.shape[1]:
        v.fail("y", f"of {a.shape[1]} columns (as x)", b.shape[1], " columns")
    return frechet_distance(a.mean(0), np.atleast_2d(np.cov(a, rowvar=False)), b.mean(0),
                            np.atleast_2d(np.cov(b, rowvar=False)))


# ----------------------------------------------------------------------------------------------
# DDIM (Song, Meng & Ermon 2021) and the probability-flow ODE (Song et al. 2021)
# ----------------------------------------------------------------------------------------------


def ddim_timesteps(T: int, steps: int) -> NDArray[np.int64]:
    r"""A sub-sequence :math:`1 \le \tau_1 < \dots < \tau_S = T` of S evenly spaced steps,
    :math:`\tau_i = \mathrm{round}(iT/S)` (the "trailing" spacing: it ends at T, where the prior is;
    Song et al. 2021 choose any increasing sub-sequence, Sec. 4.2). Paper's 1-based steps."""
    T = _positive_t(T, "T")
    S = v.integer(steps, "steps", lo=1, hi=T)
    return np.rint(np.arange(1, S + 1) * T / S).astype(np.int64)


def respaced_betas(betas: ArrayLike, timesteps: ArrayLike) -> NDArray[np.float64]:
    r"""The schedule of the shorter chain through the steps :math:`\tau_1 < \dots < \tau_S`
    (Nichol & Dhariwal 2021, Sec. 4; ``space_timesteps`` in improved-diffusion):

    .. math:: \beta'_i = 1 - \frac{\bar\alpha_{\tau_i}}{\bar\alpha_{\tau_{i-1}}}, \qquad \bar\alpha_{\tau_0} = 1,

    so that :math:`\bar\alpha'_i = \bar\alpha_{\tau_i}`: every DDPM formula (bound, weights,
    ancestral sampling) then applies to the short chain unchanged.
    """
    b = check_betas(betas)
    tau = _step(np.asarray(timesteps), b.size, "timesteps")
    tau = np.atleast_1d(tau)
    if tau.ndim != 1 or (np.diff(tau) <= 0).any():
        v.fail("timesteps", "strictly increasing", tau)
    ab = alpha_bars(b)[tau - 1]
    return 1.0 - ab / np.concatenate(([1.0], ab[:-1]))


def ddim_sigma(alpha_bar: float, alpha_bar_prev: float, eta: float) -> float:
    r"""The noise scale of the DDIM family (Song et al. 2021, eq. 16):

    .. math:: \sigma_t(\eta) = \eta\,\sqrt{\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}}\,
              \sqrt{1 - \frac{\bar\alpha_t}{\bar\alpha_{t-1}}} ;

    η = 1 gives :math:`\sigma_t^2 = \tilde\beta_t` (ancestral DDPM sampling), η = 0 the
    deterministic DDIM. "t - 1" is the previous step of the sub-sequence; ``alpha_bar_prev`` = 1
    is allowed (the last step, to :math:`x_0`).
    """
    ab = float(v.in_interval(alpha_bar, "alpha_bar", 0.0, 1.0))
    ab_prev = float(v.in_interval(alpha_bar_prev, "alpha_bar_prev", 0.0, 1.0, closed=True))
    if ab_prev <= ab:
        v.fail("alpha_bar_prev", f"> alpha_bar = {ab!r} (an earlier, less noisy step)", ab_prev)
    eta = float(v.array(eta, "eta"))
    if eta < 0:
        v.fail("eta", ">= 0", eta)
    return eta * math.sqrt((1.0 - ab_prev) / (1.0 - ab) * (1.0 - ab / ab_prev))


def _ddim_update(x: Any, eps: Any, ab: float, ab_prev: float, sigma: float, noise: Any) -> Any:
    """DDIM eq. 12 on numpy arrays or torch tensors (the coefficients are Python floats)."""
    x0_hat = (x - math.sqrt(1.0 - ab) * eps) / math.sqrt(ab)
    # the clip guards rounding only: ddim_step checks sigma^2 <= 1 - ab_prev
    direction = math.sqrt(max(1.0 - ab_prev - sigma**2, 0.0))
    return math.sqrt(ab_prev) * x0_hat + direction * eps + sigma * noise


def ddim_step(xt: ArrayLike, eps: ArrayLike, alpha_bar: float, alpha_bar_prev: float, sigma: float,
              noise: ArrayLike) -> NDArray[np.float64]:
    r"""One step of the generalised sampler (Song et al. 2021, eq. 12):

    .. math:: x_{t-1} = \sqrt{\bar\alpha_{t-1}}\,\hat x_0
              + \sqrt{1-\bar\alpha_{t-1}-\sigma_t^2}\;\hat\epsilon + \sigma_t z, \qquad
              \hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\hat\epsilon}{\sqrt{\bar\alpha_t}},

    a draw from the non-Markovian kernel :math:`q_\sigma(x_{t-1}\mid x_t, \hat x_0)` (their eq. 7).
    ``sigma``: :math:`\sigma_t` in :math:`[0, \sqrt{1-\bar\alpha_{t-1}}]` (see :func:`ddim_sigma`).
    """
    ab = float(v.in_interval(alpha_bar, "alpha_bar", 0.0, 1.0))
    ab_prev = float(v.in_interval(alpha_bar_prev, "alpha_bar_prev", 0.0, 1.0, closed=True))
    sig = float(v.array(sigma, "sigma"))
    if sig < 0 or sig**2 > 1.0 - ab_prev + 1e-15:
        v.fail("sigma", f"in [0, sqrt(1 - alpha_bar_prev)] = [0, {math.sqrt(1.0 - ab_prev):.6g}]", sig)
    x, e, z = v.array(xt, "xt"), v.array(eps, "eps"), v.array(noise, "noise")
    v.same_shape(x, e, "xt", "eps")
    v.same_shape(x, z, "xt", "noise")
    return np.asarray(_ddim_update(x, e, ab, ab_prev, sig, z), dtype=np.float64)


def ddim_sample(trained: TrainedDDPM, n: int, *, steps: int, eta: float = 0.0, seed: int = 0,
                x_T: ArrayLike | None = None) -> NDArray[np.float64]:
    r"""Sample with the DDIM family (Song et al. 2021, eq. 12) on the sub-sequence
    :func:`ddim_timesteps` (T, ``steps``), with :math:`\sigma_{\tau_i}` from :func:`ddim_sigma` for
    ``eta``, down to :math:`\bar\alpha_0 = 1`. ``eta`` = 0 is deterministic given :math:`x_T`
    (``x_T``: start from these points instead of drawing them from ``seed``)."""
    import torch

    b = trained.betas
    tau = ddim_timesteps(b.size, steps)
    ab_all = alpha_bars(b)
    gen = torch.Generator().manual_seed(seed)
    dim = trained.model.out.out_features
    if x_T is None:
        x = torch.randn((v.integer(n, "n", lo=1), dim), generator=gen)
    else:
        start = v.array(x_T, "x_T")
        if start.ndim != 2 or start.shape[1] != dim:
            v.fail("x_T", f"an (n, {dim}) array", start.shape, " as its shape")
        x = torch.as_tensor(start, dtype=torch.float32)
    with torch.no_grad():
        for i in range(tau.size - 1, -1, -1):
            ab, ab_prev = float(ab_all[tau[i] - 1]), float(ab_all[tau[i - 1] - 1]) if i > 0 else 1.0
            sigma = ddim_sigma(ab, ab_prev, eta)
            eps = trained.model(x, torch.full((x.shape[0],), int(tau[i]), dtype=torch.int64))
            z = torch.randn(x.shape, generator=gen) if sigma > 0 else torch.zeros_like(x)
            x = _ddim_update(x, eps, ab, ab_prev, sigma, z)
    return x.numpy().astype(np.float64)


def fractional_step(betas: ArrayLike, alpha_bar: ArrayLike) -> NDArray[np.float64]:
    r"""The continuous step :math:`\tau \in [0, T]` at which a continuous-time reading of the
    schedule has :math:`\bar\alpha(\tau)` = ``alpha_bar``: :math:`\log\bar\alpha` is linear in
    :math:`\tau` between the integers, :math:`\bar\alpha(t) = \bar\alpha_t` at every step and
    :math:`\bar\alpha(0) = 1`. The trained network is evaluated at these real steps (its sinusoidal
    embedding takes any real t), as score_sde does for discrete DDPM checkpoints."""
    b = check_betas(betas)
    ab = v.in_interval(alpha_bar, "alpha_bar", alpha_bars(b)[-1] * (1 - 1e-12), 1.0, closed=True)
    log_ab = np.concatenate(([0.0], np.log(alpha_bars(b))))  # decreasing in tau = 0..T
    return np.interp(-np.log(ab), -log_ab, np.arange(b.size + 1, dtype=np.float64))


@dataclass(frozen=True)
class ODELikelihood:
    r"""Exact log-likelihoods :math:`\log p_0(x_0)` of the probability-flow ODE model, nats per
    example (summed over dimensions), with the prior and divergence parts and the number of
    network evaluations."""

    log_prob: NDArray[np.float64]
    prior: NDArray[np.float64]
    divergence: NDArray[np.float64]
    nfe: int
    dim: int

    @property
    def nll(self) -> float:
        return float(-self.log_prob.mean())

    @property
    def stderr(self) -> float:
        return float(self.log_prob.std(ddof=1) / math.sqrt(self.log_prob.size))

    @property
    def bits_per_dim(self) -> float:
        from genmath.mle import bits_per_dim

        return float(bits_per_dim(self.nll, self.dim))


def _ode_field(model: Any, betas: NDArray[np.float64], sigma_bar: float, xbar: Any, trace: bool) -> Any:
    r"""The probability-flow field in DDIM coordinates, :math:`d\bar x/d\bar\sigma =
    \epsilon_\theta(x_t, \tau)` with :math:`x_t = \bar x/\sqrt{1+\bar\sigma^2}`, and (``trace``) the
    exact divergence :math:`\operatorname{tr}\partial\epsilon_\theta/\partial\bar x`, one backward
    pass per dimension (float64)."""
    import torch

    scale = 1.0 / math.sqrt(1.0 + sigma_bar**2)
    tau = float(fractional_step(betas, scale**2))
    t = torch.full((xbar.shape[0],), tau, dtype=torch.float64)
    if not trace:
        with torch.no_grad():
            return model(xbar * scale, t), None
    x = (xbar * scale).detach().requires_grad_(True)
    eps = model(x, t)
    div = torch.zeros(xbar.shape[0], dtype=torch.float64)
    for d in range(xbar.shape[1]):  # the examples are independent: the gradient of a sum is per example
        div += torch.autograd.grad(eps[:, d].sum(), x, retain_graph=d < xbar.shape[1] - 1)[0][:, d]
    return eps.detach(), div * scale  # d/d xbar = scale * d/dx


def _solve_ode(trained: TrainedDDPM, start: NDArray[np.float64], forward: bool, trace: bool, rtol: float,
               atol: float) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    import copy

    import torch
    from scipy.integrate import solve_ivp

    b = trained.betas
    model = copy.deepcopy(trained.model).double()
    n, dim = start.shape
    top = math.sqrt((1.0 - alpha_bars(b)[-1]) / alpha_bars(b)[-1])  # sigma-bar at t = T

    def rhs(s: float, y: NDArray[np.float64]) -> NDArray[np.float64]:
        xbar = torch.as_tensor(y[: n * dim].reshape(n, dim))
        eps, div = _ode_field(model, b, s, xbar, trace)
        out = eps.numpy().ravel()
        return np.concatenate([out, div.numpy()]) if trace else out

    y0 = start.ravel() if not trace else np.concatenate([start.ravel(), np.zeros(n)])
    span = (0.0, top) if forward else (top, 0.0)
    sol = solve_ivp(rhs, span, y0, method="RK45", rtol=rtol, atol=atol)
    if not sol.success:
        raise RuntimeError(f"the probability-flow ODE solver failed: {sol.message}")
    end = sol.y[:, -1]
    return end[: n * dim].reshape(n, dim), (end[n * dim:] if trace else np.zeros(n)), int(sol.nfev)


def pf_ode_log_likelihood(trained: TrainedDDPM, x0: ArrayLike, *, rtol: float = 1e-6, atol: float = 1e-6
                          ) -> ODELikelihood:
    r"""The exact log-likelihood of the probability-flow ODE model (Song et al. 2021, Sec. 4.3 and
    App. D.2) by the instantaneous change of variables (Chen et al. 2018, Thm. 1), in the DDIM
    coordinates :math:`\bar x = x_t/\sqrt{\bar\alpha_t}`, :math:`\bar\sigma = \sqrt{(1-\bar\alpha_t)/\bar\alpha_t}`
    where the ODE is :math:`d\bar x/d\bar\sigma = \epsilon_\theta` (Song, Meng & Ermon 2021, eq. 14):

    .. math:: \log p_0(x_0) = \log\mathcal N\big(\bar x_T;\ 0,\ (1+\bar\sigma_T^2) I\big)
              + \int_0^{\bar\sigma_T}\operatorname{tr}\frac{\partial\epsilon_\theta}{\partial\bar x}\,d\bar\sigma,

    integrated from :math:`\bar x(0) = x_0` to :math:`\bar\sigma_T` with scipy's RK45 (tolerances
    ``rtol``, ``atol``), the trace exact (one backward pass per dimension). The prior is the model's
    :math:`x_T \sim \mathcal N(0, I)`, i.e. :math:`\bar x_T \sim \mathcal N(0, (1+\bar\sigma_T^2)I)`.
    """
    x = v.array(x0, "x0")
    if x.ndim != 2:
        v.fail("x0", "an (n, d) array", x.shape, " as its shape")
    rtol, atol = float(v.positive(rtol, "rtol")), float(v.positive(atol, "atol"))
    b = trained.betas
    end, div, nfe = _solve_ode(trained, x, True, True, rtol, atol)
    var_T = 1.0 / alpha_bars(b)[-1]  # 1 + sigma-bar_T^2
    prior = stats.norm.logpdf(end, 0.0, math.sqrt(var_T)).sum(1)
    return ODELikelihood(log_prob=prior + div, prior=prior, divergence=div, nfe=nfe, dim=x.shape[1])


def pf_ode_sample(trained: TrainedDDPM, x_T: ArrayLike, *, rtol: float = 1e-6, atol: float = 1e-6
                  ) -> tuple[NDArray[np.float64], int]:
    r"""Solve the probability-flow ODE :math:`d\bar x/d\bar\sigma = \epsilon_\theta` from
    :math:`\bar x_T = x_T/\sqrt{\bar\alpha_T}` down to :math:`\bar\sigma = 0` (where
    :math:`\bar x = x_0`) with scipy's RK45: the limit of DDIM (η = 0) as the number of steps grows.
    Returns :math:`x_0` and the number of network evaluations."""
    start = v.array(x_T, "x_T")
    if start.ndim != 2:
        v.fail("x_T", "an (n, d) array", start.shape, " as its shape")
    b = trained.betas
    x0, _, nfe = _solve_ode(trained, start / math.sqrt(alpha_bars(b)[-1]), False, False,
                            float(v.positive(rtol, "rtol")), float(v.positive(atol, "atol")))
    return x0, nfe
