r"""Normalizing flows: the change-of-variables formula, two 1-D flows, RealNVP affine coupling, dequantisation.

Convention used throughout (and in ``docs/flows.md``): the flow maps latent to data,

.. math::

    x = f(z), \qquad z = f^{-1}(x), \qquad z \sim p_Z = \mathcal{N}(0, I),

and the density of :math:`x` is given by either direction of the change of variables
(Papamakarios et al., 2021, "Normalizing Flows for Probabilistic Modeling and Inference", JMLR, Eqs. 2-3):

.. math::

    \log p_X(x) = \log p_Z(f^{-1}(x)) + \log\left|\det \frac{\partial f^{-1}}{\partial x}(x)\right|
                = \log p_Z(z) - \log\left|\det \frac{\partial f}{\partial z}(z)\right|.

Every log-determinant below says which map it belongs to: ``..._forward`` is
:math:`\log|\det \partial f/\partial z|` (latent to data), ``..._inverse`` is
:math:`\log|\det \partial f^{-1}/\partial x|` (data to latent); the two are negatives of each other
at corresponding points.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, special, stats

from genmath import memo, numerics, validate

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------------------------------
# The change of variables, both directions
# --------------------------------------------------------------------------------------------------

def standard_normal_log_prob(z: ArrayLike, *, event_dims: int = 0) -> FloatArray:
    r"""Log-density of the base distribution :math:`\mathcal{N}(0, I)`, in nats.

    :math:`\log p_Z(z) = -\tfrac{D}{2}\log(2\pi) - \tfrac12\lVert z\rVert^2`, summed over the last
    ``event_dims`` axes (0: elementwise, 1: vectors on the last axis).
    """
    z = validate.array(z, "z")
    event_dims = validate.integer(event_dims, "event_dims", lo=0, hi=z.ndim)
    log_p = stats.norm.logpdf(z)
    return log_p.sum(axis=tuple(range(z.ndim - event_dims, z.ndim))) if event_dims else log_p


def log_prob_via_inverse(log_p_z: ArrayLike, log_abs_det_inverse: ArrayLike) -> FloatArray:
    r"""Change of variables through the inverse map (data to latent), in nats:

    .. math:: \log p_X(x) = \log p_Z(f^{-1}(x)) + \log\left|\det \frac{\partial f^{-1}}{\partial x}(x)\right|.

    Papamakarios et al. (2021), Eq. 3. ``log_p_z`` is :math:`\log p_Z` at :math:`z = f^{-1}(x)`.
    """
    log_p_z, log_det = validate.broadcast((validate.array(log_p_z, "log_p_z"), "log_p_z"),
                                          (validate.array(log_abs_det_inverse, "log_abs_det_inverse"),
                                           "log_abs_det_inverse"))
    return log_p_z + log_det


def log_prob_via_forward(log_p_z: ArrayLike, log_abs_det_forward: ArrayLike) -> FloatArray:
    r"""Change of variables through the forward map (latent to data), in nats:

    .. math:: \log p_X(x) = \log p_Z(z) - \log\left|\det \frac{\partial f}{\partial z}(z)\right|,
              \quad z = f^{-1}(x).

    Papamakarios et al. (2021), Eq. 2. Note the minus sign: the forward Jacobian is the inverse of
    the inverse Jacobian (inverse function theorem), so its log-determinant enters negated.
    """
    log_p_z, log_det = validate.broadcast((validate.array(log_p_z, "log_p_z"), "log_p_z"),
                                          (validate.array(log_abs_det_forward, "log_abs_det_forward"),
                                           "log_abs_det_forward"))
    return log_p_z - log_det


# --------------------------------------------------------------------------------------------------
# 1-D flow 1: affine  x = mu + sigma z
# --------------------------------------------------------------------------------------------------

def _nonzero(x: ArrayLike, name: str) -> FloatArray:
    arr = validate.array(x, name)
    bad = arr == 0
    if bad.any():
        validate.fail(name, "non-zero (the map must be invertible)", 0.0)
    return arr


def affine_forward(z: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> FloatArray:
    r"""Affine flow, latent to data: :math:`x = f(z) = \mu + \sigma z` with :math:`\sigma \ne 0`."""
    return validate.array(mu, "mu") + _nonzero(sigma, "sigma") * validate.array(z, "z")


def affine_inverse(x: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> FloatArray:
    r"""Affine flow, data to latent: :math:`z = f^{-1}(x) = (x - \mu)/\sigma`."""
    return (validate.array(x, "x") - validate.array(mu, "mu")) / _nonzero(sigma, "sigma")


def affine_log_abs_det_forward(z: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> FloatArray:
    r""":math:`\log|\partial f/\partial z| = \log|\sigma|` (constant in :math:`z`), broadcast to ``z``."""
    z, _, sigma = validate.broadcast((validate.array(z, "z"), "z"), (validate.array(mu, "mu"), "mu"),
                                     (_nonzero(sigma, "sigma"), "sigma"))
    return np.log(np.abs(sigma)) + 0.0 * z


def affine_log_abs_det_inverse(x: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> FloatArray:
    r""":math:`\log|\partial f^{-1}/\partial x| = -\log|\sigma|`, broadcast to ``x``."""
    return -affine_log_abs_det_forward(x, mu, sigma)


def affine_log_prob(x: ArrayLike, mu: ArrayLike, sigma: ArrayLike) -> FloatArray:
    r"""Log-density (nats) of :math:`x = \mu + \sigma z`, :math:`z \sim \mathcal{N}(0,1)`, by the inverse
    direction; equals :math:`\log \mathcal{N}(x; \mu, \sigma^2)`."""
    z = affine_inverse(x, mu, sigma)
    return log_prob_via_inverse(standard_normal_log_prob(z), affine_log_abs_det_inverse(x, mu, sigma))


# --------------------------------------------------------------------------------------------------
# 1-D flow 2: sinh-arcsinh (Jones & Pewsey, 2009)
# --------------------------------------------------------------------------------------------------

def _sas_params(epsilon: ArrayLike, delta: ArrayLike) -> tuple[FloatArray, FloatArray]:
    return validate.array(epsilon, "epsilon"), validate.positive(delta, "delta")


def sinh_arcsinh_forward(z: ArrayLike, epsilon: ArrayLike, delta: ArrayLike) -> FloatArray:
    r"""Sinh-arcsinh flow, latent to data (Jones & Pewsey, 2009, Biometrika 96(4), Sec. 2):

    .. math:: x = f(z) = \sinh\!\left(\frac{\sinh^{-1}(z) + \epsilon}{\delta}\right), \quad \delta > 0.

    :math:`\epsilon` controls skewness, :math:`\delta` tail weight; :math:`\epsilon=0, \delta=1` is the identity.
    """
    epsilon, delta = _sas_params(epsilon, delta)
    return np.sinh((np.arcsinh(validate.array(z, "z")) + epsilon) / delta)


def sinh_arcsinh_inverse(x: ArrayLike, epsilon: ArrayLike, delta: ArrayLike) -> FloatArray:
    r"""Sinh-arcsinh flow, data to latent: :math:`z = f^{-1}(x) = \sinh(\delta \sinh^{-1}(x) - \epsilon)`."""
    epsilon, delta = _sas_params(epsilon, delta)
    return np.sinh(delta * np.arcsinh(validate.array(x, "x")) - epsilon)


def sinh_arcsinh_log_abs_det_inverse(x: ArrayLike, epsilon: ArrayLike, delta: ArrayLike) -> FloatArray:
    r""":math:`\log\left|\frac{d f^{-1}}{dx}\right| = \log\delta + \log\cosh(\delta\sinh^{-1}(x) - \epsilon)
    - \tfrac12\log(1 + x^2)`."""
    epsilon, delta = _sas_params(epsilon, delta)
    x = validate.array(x, "x")
    inner = delta * np.arcsinh(x) - epsilon
    return np.log(delta) + _log_cosh(inner) - _half_log1p_square(x)


def sinh_arcsinh_log_abs_det_forward(z: ArrayLike, epsilon: ArrayLike, delta: ArrayLike) -> FloatArray:
    r""":math:`\log\left|\frac{d f}{dz}\right| = \log\cosh\!\left(\frac{\sinh^{-1}(z)+\epsilon}{\delta}\right)
    - \log\delta - \tfrac12\log(1 + z^2)`."""
    epsilon, delta = _sas_params(epsilon, delta)
    z = validate.array(z, "z")
    inner = (np.arcsinh(z) + epsilon) / delta
    return _log_cosh(inner) - np.log(delta) - _half_log1p_square(z)


def _half_log1p_square(x: FloatArray) -> FloatArray:
    """0.5 log(1 + x^2) without overflow for huge |x|: 0.5 logaddexp(0, 2 log|x|)."""
    with np.errstate(divide="ignore"):
        return 0.5 * np.logaddexp(0.0, 2.0 * np.log(np.abs(x)))


def _log_cosh(u: FloatArray) -> FloatArray:
    """log cosh(u) without overflow: |u| + log1p(exp(-2|u|)) - log 2."""
    a = np.abs(u)
    return a + np.log1p(np.exp(-2.0 * a)) - math.log(2.0)


def sinh_arcsinh_log_prob(x: ArrayLike, epsilon: ArrayLike, delta: ArrayLike) -> FloatArray:
    r"""Log-density (nats) of the sinh-arcsinh flow by the inverse direction, Eq. ``flows-cov-inverse``."""
    z = sinh_arcsinh_inverse(x, epsilon, delta)
    return log_prob_via_inverse(standard_normal_log_prob(z),
                                sinh_arcsinh_log_abs_det_inverse(x, epsilon, delta))


def sinh_arcsinh_pdf_jones_pewsey(x: ArrayLike, epsilon: ArrayLike, delta: ArrayLike) -> FloatArray:
    r"""The sinh-arcsinh density as printed by Jones & Pewsey (2009), Eq. (2):

    .. math:: p(x) = \frac{\delta\, C(x)}{\sqrt{2\pi(1+x^2)}}\exp\!\left(-\tfrac12 S(x)^2\right),\quad
              S(x) = \sinh(\delta\sinh^{-1}x - \epsilon),\ C(x) = \cosh(\delta\sinh^{-1}x - \epsilon).

    Written independently of the flow code so tests can compare the two.
    """
    epsilon, delta = _sas_params(epsilon, delta)
    x = validate.array(x, "x")
    inner = delta * np.arcsinh(x) - epsilon
    return delta * np.cosh(inner) / np.sqrt(2 * np.pi * (1 + x**2)) * np.exp(-0.5 * np.sinh(inner) ** 2)


def sinh_arcsinh_cdf(x: ArrayLike, epsilon: ArrayLike, delta: ArrayLike) -> FloatArray:
    r"""CDF of the sinh-arcsinh flow: :math:`F_X(x) = \Phi(f^{-1}(x))` (f is increasing)."""
    return special.ndtr(sinh_arcsinh_inverse(x, epsilon, delta))


def integrate_density_1d(log_prob: Callable[[float], float], lo: float = -np.inf, hi: float = np.inf, *,
                         loc: ArrayLike | None = None, scale: ArrayLike | None = None,
                         points: ArrayLike | None = None) -> tuple[float, float]:
    r""":math:`\int_{lo}^{hi} \exp(\log p(x))\,dx` by :func:`genmath.numerics.integral`
    (``scipy.integrate.quad`` on pieces cut where the mass is); returns (value, error estimate).

    ``log_prob``: a log-density of a scalar. An infinite limit needs the mass located: ``log_prob`` a
    method of a ``scipy.stats`` distribution (e.g. ``norm(1000, 1).logpdf``), or ``loc`` and ``scale``
    (where the mass sits and how wide it is). ``points``: break points (kinks, support edges). The
    value is >= 0; ``log_prob`` may be ``-inf`` (density 0) but not NaN or ``+inf`` (``ValueError``);
    :class:`genmath.numerics.QuadratureError` if the error estimate exceeds 1e-8 relative.
    """
    def density(t: float) -> float:
        log_p = float(np.asarray(log_prob(t), dtype=np.float64).reshape(()))
        if math.isnan(log_p) or log_p == math.inf:
            validate.fail("log_prob", "a log-density (not NaN, not +inf)", log_p, f" at x = {t!r}")
        return math.exp(log_p)

    result = numerics.integral(density, lo, hi, name="the integral of exp(log_prob)", loc=loc, scale=scale,
                               points=points, mass_of={"log_prob": log_prob})
    return max(result.value, 0.0), result.error


# --------------------------------------------------------------------------------------------------
# RealNVP affine coupling (Dinh, Sohl-Dickstein & Bengio, 2017)
# --------------------------------------------------------------------------------------------------

def _torch():
    import torch

    return torch


def make_affine_coupling(dim: int, mask: ArrayLike, hidden: int = 32, *, seed: int | None = None):
    r"""A RealNVP affine coupling layer :math:`u \mapsto v` (Dinh et al., 2017, Eqs. 4-6 and 9).

    With a binary mask :math:`b` (1 = passed through unchanged),

    .. math:: v = b \odot u + (1-b) \odot \left(u \odot \exp(s(b\odot u)) + t(b\odot u)\right),

    its Jacobian is triangular (after permuting coordinates) with diagonal :math:`1` on the kept
    coordinates and :math:`\exp(s_j)` on the transformed ones, so

    .. math:: \log\left|\det \frac{\partial v}{\partial u}\right| = \sum_j (1-b_j)\, s_j(b\odot u).

    :math:`s` and :math:`t` are small MLPs; :math:`s` ends in ``tanh`` times a learned per-coordinate
    scale, a common way to keep early training stable (bounded log-scales). Returns a ``torch.nn.Module``
    with ``forward(u) -> (v, log_det)`` and ``inverse(v) -> (u, log_det_inverse)``.
    """
    dim, mask_arr, hidden = _coupling_args(dim, mask, hidden, seed)
    return _modules()[0](dim, mask_arr, hidden)


def _coupling_args(dim: int, mask: ArrayLike, hidden: int, seed: int | None) -> tuple[int, FloatArray, int]:
    torch = _torch()
    dim = validate.integer(dim, "dim", lo=2)
    hidden = validate.integer(hidden, "hidden", lo=1)
    mask_arr = validate.array(mask, "mask")
    if mask_arr.shape != (dim,):
        validate.fail("mask", f"a vector of shape ({dim},)", mask_arr.shape)
    if not np.isin(mask_arr, (0.0, 1.0)).all() or mask_arr.sum() in (0, dim):
        validate.fail("mask", "binary with at least one 0 and one 1", mask_arr)
    if seed is not None:
        torch.manual_seed(validate.integer(seed, "seed", lo=0))
    return dim, mask_arr, hidden


def make_additive_coupling(dim: int, mask: ArrayLike, hidden: int = 32, *, seed: int | None = None):
    r"""A NICE additive coupling layer :math:`u \mapsto v` (Dinh, Krueger & Bengio, 2015, Sec. 3.2):

    .. math:: v = u + (1-b) \odot t(b\odot u), \qquad
              \log\left|\det \frac{\partial v}{\partial u}\right| = 0,

    with a binary mask :math:`b` (1 = passed through unchanged) and an MLP :math:`t`. The Jacobian is
    triangular with ones on the diagonal (after permuting coordinates): the layer preserves volume.
    Same interface as :func:`make_affine_coupling` (``forward(u) -> (v, log_det)`` with ``log_det`` 0,
    ``inverse(v) -> (u, 0)``).
    """
    dim, mask_arr, hidden = _coupling_args(dim, mask, hidden, seed)
    return _additive_module()(dim, mask_arr, hidden)


@functools.cache
def _additive_module():
    torch = _torch()

    class _AdditiveCouplingModule(torch.nn.Module):
        def __init__(self, dim: int, mask: FloatArray, hidden: int) -> None:
            super().__init__()
            nn = torch.nn
            self.register_buffer("mask", torch.tensor(mask, dtype=torch.get_default_dtype()))
            self.net = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                     nn.Linear(hidden, dim))
            self.dim = dim

        def shift(self, u):
            """t(b*u), zero on the kept coordinates."""
            return self.net(u * self.mask) * (1 - self.mask)

        def forward(self, u):
            return u + self.shift(u), torch.zeros(u.shape[:-1], dtype=u.dtype)

        def inverse(self, v):
            return v - self.shift(v), torch.zeros(v.shape[:-1], dtype=v.dtype)  # t sees the kept part only

    return _AdditiveCouplingModule


@functools.cache
def _modules():
    """The torch module classes, defined on first use so importing genmath.flows does not import torch."""
    torch = _torch()

    class _AffineCouplingModule(torch.nn.Module):
        def __init__(self, dim: int, mask: FloatArray, hidden: int) -> None:
            super().__init__()
            nn = torch.nn
            self.register_buffer("mask", torch.tensor(mask, dtype=torch.get_default_dtype()))
            self.net = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                     nn.Linear(hidden, 2 * dim))
            self.scale = nn.Parameter(torch.ones(dim))
            self.dim = dim

        def s_and_t(self, u):
            """Scale and shift computed from the kept coordinates b*u; zero on the kept coordinates."""
            kept = u * self.mask
            s_raw, t = self.net(kept).chunk(2, dim=-1)
            s = self.scale * torch.tanh(s_raw) * (1 - self.mask)
            return s, t * (1 - self.mask)

        def forward(self, u):
            s, t = self.s_and_t(u)
            v = u * self.mask + (1 - self.mask) * (u * torch.exp(s) + t)
            return v, s.sum(dim=-1)

        def inverse(self, v):
            s, t = self.s_and_t(v)  # s, t depend only on the kept coordinates, equal in u and v
            u = v * self.mask + (1 - self.mask) * (v - t) * torch.exp(-s)
            return u, -s.sum(dim=-1)

    class _RealNVPModule(torch.nn.Module):
        def __init__(self, layers, dim: int) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList(layers)
            self.dim = dim

        def to_latent(self, x):
            """:math:`z = f^{-1}(x)` and :math:`\\log|\\det \\partial f^{-1}/\\partial x|`."""
            log_det = torch.zeros(x.shape[:-1], dtype=x.dtype)
            for layer in self.layers:
                x, ld = layer(x)
                log_det = log_det + ld
            return x, log_det

        def to_data(self, z):
            """:math:`x = f(z)` and :math:`\\log|\\det \\partial f/\\partial z|`."""
            log_det = torch.zeros(z.shape[:-1], dtype=z.dtype)
            for layer in reversed(self.layers):
                z, ld = layer.inverse(z)
                log_det = log_det + ld
            return z, log_det  # each inverse returns log|det| of the map it applies, v -> u; they add up

        def log_prob(self, x):
            z, log_det_inverse = self.to_latent(x)
            log_p_z = -0.5 * (z**2).sum(-1) - 0.5 * self.dim * math.log(2 * math.pi)
            return log_p_z + log_det_inverse

        def sample(self, n: int):
            z = torch.randn(n, self.dim)
            return self.to_data(z)[0]

    return _AffineCouplingModule, _RealNVPModule


def make_realnvp(dim: int = 2, n_layers: int = 6, hidden: int = 32, *, seed: int = 0, coupling: str = "affine",
                 scaling: bool = False):
    r"""A RealNVP flow: ``n_layers`` affine couplings with alternating masks, base :math:`\mathcal{N}(0, I)`.

    The couplings are applied in the normalising direction :math:`x \to z = f^{-1}(x)`, so
    ``log_prob(x)`` uses Eq. ``flows-cov-inverse`` with
    :math:`\log|\det \partial f^{-1}/\partial x| = \sum_{\text{layers}} \sum_j s_j`;
    ``sample(n)`` runs the layers' inverses in reverse order (:math:`x = f(z)`).

    ``coupling="additive"`` uses NICE's additive couplings instead (:func:`make_additive_coupling`,
    volume-preserving); ``scaling=True`` ends the normalising direction with a per-coordinate scale and
    shift (:func:`make_actnorm`), NICE's diagonal scaling layer (Dinh et al., 2015, Sec. 3.3) with a shift.
    """
    torch = _torch()
    dim = validate.integer(dim, "dim", lo=2)
    n_layers = validate.integer(n_layers, "n_layers", lo=1)
    makers = {"affine": make_affine_coupling, "additive": make_additive_coupling}
    if coupling not in makers:
        validate.fail("coupling", "'affine' or 'additive'", coupling)
    torch.manual_seed(validate.integer(seed, "seed", lo=0))
    base = np.arange(dim) % 2
    masks = [base if i % 2 == 0 else 1 - base for i in range(n_layers)]
    layers = [makers[coupling](dim, m.astype(float), hidden) for m in masks]
    if scaling:
        layers.append(make_actnorm(dim))
    return _modules()[1](layers, dim)


def train_flow(flow, data: ArrayLike, *, steps: int = 1500, batch_size: int = 256, lr: float = 3e-3,
               seed: int = 0) -> list[float]:
    r"""Fit a flow by maximum likelihood (minimise the mean negative log-likelihood, nats) with Adam.

    Returns the per-step training NLL in nats. Uses one CPU thread.
    """
    torch = _torch()
    x = validate.array(data, "data")
    if x.ndim != 2 or x.shape[1] != flow.dim:
        validate.fail("data", f"an array of shape (n, {flow.dim})", x.shape)
    steps = validate.integer(steps, "steps", lo=1)
    batch_size = validate.integer(batch_size, "batch_size", lo=1)
    lr = float(validate.positive(lr, "lr"))
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(validate.integer(seed, "seed", lo=0))
    x_t = torch.tensor(x, dtype=torch.get_default_dtype())
    opt = torch.optim.Adam(flow.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    history = []
    for _ in range(steps):
        idx = torch.randint(0, x_t.shape[0], (batch_size,), generator=gen)
        loss = -flow.log_prob(x_t[idx]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        history.append(float(loss.detach()))
    return history


def cached_train_flow(flow, data: ArrayLike, *, cache_dir: str | os.PathLike[str] | None = None,
                      **kwargs: Any) -> list[float]:
    """:func:`train_flow` through the on-disk memo of :mod:`genmath.memo`, so that snippets in separate
    processes share one training run: on a hit the trained weights are loaded into ``flow`` (which
    ends up as a fresh run leaves it) and the stored NLL history is returned.

    The key holds the data, the keyword arguments, this module's source, the flow's structure (its
    ``repr``) and initial weights, torch's default dtype and the state of torch's global generator
    (:func:`train_flow`, unlike the other trainers, does not seed it). Like :func:`train_flow`, leaves
    torch on one thread.
    """
    torch = _torch()
    x = validate.array(data, "data")
    kw = memo.keywords(train_flow, kwargs)
    weights = {name: t.detach().cpu().numpy() for name, t in flow.state_dict().items()}
    options = {**kw, "flow": repr(flow), "weights": sorted(weights), "dtype": str(torch.get_default_dtype())}
    arrays = [x, torch.get_rng_state().numpy(), *weights.values()]

    def train() -> dict[str, Any]:
        return {"history": train_flow(flow, x, **kw), "flow": flow.state_dict()}

    def from_state(state: dict[str, Any]) -> dict[str, Any]:
        torch.set_num_threads(1)
        flow.load_state_dict(state["flow"])
        return state

    return memo.memo("flow", __file__, arrays, options, train, lambda result: result, from_state,
                     cache_dir=cache_dir)["history"]


def flow_log_prob_numpy(flow, x: ArrayLike) -> FloatArray:
    """``flow.log_prob`` on a numpy array (no gradient), returning numpy float64 (nats)."""
    torch = _torch()
    x = validate.array(x, "x")
    with torch.no_grad():
        return flow.log_prob(torch.tensor(x, dtype=torch.get_default_dtype())).double().numpy()


def integrate_density_2d(log_prob: Callable[[FloatArray], FloatArray], lo: ArrayLike, hi: ArrayLike, *,
                         rtol: float = 1e-6) -> tuple[float, float]:
    r""":math:`\iint_{[lo, hi]} \exp(\log p(x))\,dx` by adaptive cubature (``scipy.integrate.cubature``,
    vectorised: ``log_prob`` takes an ``(n, 2)`` array). Returns (value, estimated error)."""
    lo_a, hi_a = validate.array(lo, "lo"), validate.array(hi, "hi")
    if lo_a.shape != (2,) or hi_a.shape != (2,) or (hi_a <= lo_a).any():
        validate.fail("hi", "2 bounds each above the matching `lo` bound", hi_a)
    res = integrate.cubature(lambda pts: np.exp(log_prob(pts)), lo_a, hi_a, rtol=rtol, atol=1e-10,
                             max_subdivisions=20000)
    return float(res.estimate), float(res.error)


# --------------------------------------------------------------------------------------------------
# Glow: actnorm and the invertible 1x1 convolution (Kingma & Dhariwal, 2018, Table 1)
# --------------------------------------------------------------------------------------------------

def _pixels(x) -> int:
    """h * w: the number of positions sharing one channel transform (1 for vectors of shape (n, C))."""
    return int(np.prod(x.shape[2:])) if x.dim() > 2 else 1


def _check_channels(x, channels: int, name: str = "x") -> None:
    if x.dim() < 2 or x.shape[1] != channels:
        validate.fail(name, f"a tensor of shape (n, {channels}, ...) (channels on axis 1)", tuple(x.shape))


def make_actnorm(channels: int):
    r"""Glow's activation normalisation (Kingma & Dhariwal, 2018, Sec. 3.1 and Table 1), normalising direction:

    .. math:: y_{i,j} = s \odot x_{i,j} + b, \qquad
              \log\left|\det \frac{\partial y}{\partial x}\right| = h\,w\sum_{c=1}^{C}\log|s_c|,

    one scale and shift per channel (axis 1) shared by the :math:`h \times w` positions (vectors of shape
    ``(n, C)``: :math:`h w = 1`). :math:`s = e^{\ell}` is stored by its logarithm. ``initialize(x)`` sets
    :math:`s = 1/\mathrm{std}`, :math:`b = -\mathrm{mean}/\mathrm{std}` per channel from a batch (the
    data-dependent initialisation: the outputs have mean 0 and variance 1 per channel). Returns a
    ``torch.nn.Module`` with ``forward(x) -> (y, log_det)``, ``inverse(y) -> (x, log_det_inverse)``.
    """
    torch = _torch()
    channels = validate.integer(channels, "channels", lo=1)

    class _ActNorm(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.log_scale = torch.nn.Parameter(torch.zeros(channels))
            self.bias = torch.nn.Parameter(torch.zeros(channels))
            self.dim = channels

        def _shape(self, p, x):
            return p.view(1, -1, *([1] * (x.dim() - 2)))

        def initialize(self, x):
            _check_channels(x, channels)
            flat = x.detach().transpose(0, 1).reshape(channels, -1)
            mean, std = flat.mean(1), flat.std(1, unbiased=False)
            if (std == 0).any():
                validate.fail("x", "a batch with a non-constant value in every channel",
                              int(torch.argmax((std == 0).int())), " (channel with zero spread)")
            with torch.no_grad():
                self.log_scale.copy_(-torch.log(std))
                self.bias.copy_(-mean / std)
            return self

        def forward(self, x):
            _check_channels(x, channels)
            y = x * self._shape(self.log_scale.exp(), x) + self._shape(self.bias, x)
            return y, torch.full(x.shape[:1], 1.0, dtype=x.dtype) * _pixels(x) * self.log_scale.sum()

        def inverse(self, y):
            _check_channels(y, channels, "y")
            x = (y - self._shape(self.bias, y)) * self._shape((-self.log_scale).exp(), y)
            return x, -torch.full(y.shape[:1], 1.0, dtype=y.dtype) * _pixels(y) * self.log_scale.sum()

    return _ActNorm()


def make_invertible_conv1x1(channels: int, *, lu: bool = True, seed: int = 0):
    r"""Glow's invertible 1x1 convolution (Kingma & Dhariwal, 2018, Sec. 3.2): every position's channel
    vector is multiplied by one :math:`C \times C` matrix :math:`\mathbf{W}`,

    .. math:: \log\left|\det \frac{\partial y}{\partial x}\right| = h\,w\,\log|\det \mathbf{W}| ,

    and with the LU parameterisation (their Eq. 10) :math:`\mathbf{W} = P L (U + \operatorname{diag}(s))` --
    :math:`P` a fixed permutation, :math:`L` unit lower triangular, :math:`U` strictly upper triangular --

    .. math:: \log|\det \mathbf{W}| = \sum_{c=1}^{C} \log|s_c| ,

    :math:`O(C)` instead of the :math:`O(C^3)` of a determinant. Initialised, as in Glow, at a random
    rotation (QR of a Gaussian matrix, seeded) and its LU decomposition (``scipy.linalg.lu``).
    ``lu=False`` keeps the dense :math:`\mathbf{W}` and calls ``torch.linalg.slogdet``. Input of shape
    ``(n, C, ...)``. ``weight()`` returns :math:`\mathbf{W}`.
    """
    torch = _torch()
    from scipy import linalg

    channels = validate.integer(channels, "channels", lo=1)
    rng = np.random.default_rng(validate.integer(seed, "seed", lo=0))
    w0, _ = np.linalg.qr(rng.standard_normal((channels, channels)))
    dtype = torch.get_default_dtype()

    class _Conv1x1(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dim, self.lu = channels, lu
            if lu:
                p, lower, upper = linalg.lu(w0)
                diag = np.diag(upper)
                self.register_buffer("perm", torch.tensor(p, dtype=dtype))
                self.register_buffer("sign_s", torch.tensor(np.sign(diag), dtype=dtype))
                self.register_buffer("lower_mask", torch.tril(torch.ones(channels, channels, dtype=dtype), -1))
                self.lower = torch.nn.Parameter(torch.tensor(lower, dtype=dtype))
                self.upper = torch.nn.Parameter(torch.tensor(np.triu(upper, 1), dtype=dtype))
                self.log_abs_s = torch.nn.Parameter(torch.tensor(np.log(np.abs(diag)), dtype=dtype))
            else:
                self.w = torch.nn.Parameter(torch.tensor(w0, dtype=dtype))

        def weight(self):
            if not self.lu:
                return self.w
            eye = torch.eye(channels, dtype=self.lower.dtype)
            lower = self.lower * self.lower_mask + eye
            upper = self.upper * self.lower_mask.T + torch.diag(self.sign_s * self.log_abs_s.exp())
            return self.perm @ lower @ upper

        def log_abs_det_weight(self):
            """log|det W|: the sum of log|s_c| (LU), or slogdet of the dense W."""
            return self.log_abs_s.sum() if self.lu else torch.linalg.slogdet(self.w)[1]

        def _mix(self, m, x):
            return torch.einsum("ij,nj...->ni...", m, x)

        def forward(self, x):
            _check_channels(x, channels)
            log_det = _pixels(x) * self.log_abs_det_weight()
            return self._mix(self.weight(), x), torch.full(x.shape[:1], 1.0, dtype=x.dtype) * log_det

        def inverse(self, y):
            _check_channels(y, channels, "y")
            log_det = -_pixels(y) * self.log_abs_det_weight()
            return self._mix(torch.linalg.inv(self.weight()), y), torch.full(y.shape[:1], 1.0, dtype=y.dtype) * log_det

    return _Conv1x1()


# --------------------------------------------------------------------------------------------------
# Autoregressive flows: MAF (Papamakarios et al., 2017) and IAF (Kingma et al., 2016) on a MADE
# --------------------------------------------------------------------------------------------------

_AR_KINDS = ("maf", "iaf")


def autoregressive_flow_passes(kind: str, dim: int) -> dict[str, int]:
    r"""Sequential network passes of one autoregressive affine layer in :math:`D` = ``dim`` dimensions:

    * MAF (Papamakarios et al., 2017, Sec. 3.1): the density direction :math:`x \to u` needs every
      :math:`\mu_i(x_{<i}), \alpha_i(x_{<i})` of the *given* :math:`x`, one pass of the masked network;
      sampling needs :math:`x_{<i}` before :math:`x_i`, :math:`D` passes.
    * IAF (Kingma et al., 2016, Sec. 4): the conditioners read the noise, :math:`\mu_i(z_{<i})`; sampling is
      one pass, the density of an external :math:`x` needs :math:`D` passes.

    Returns ``{"density": ..., "sampling": ...}``.
    """
    if kind not in _AR_KINDS:
        validate.fail("kind", "'maf' or 'iaf'", kind)
    dim = validate.integer(dim, "dim", lo=1)
    return {"density": 1, "sampling": dim} if kind == "maf" else {"density": dim, "sampling": 1}


def make_autoregressive_flow(dim: int, kind: str = "maf", hidden: int = 64, *, seed: int = 0):
    r"""One autoregressive affine layer on a MADE (Germain et al., 2015): a masked MLP whose outputs
    :math:`\mu_i, \alpha_i` depend only on inputs :math:`1, \dots, i-1`.

    MAF (Papamakarios et al., 2017, Sec. 3.1), latent :math:`u`, data :math:`x`:

    .. math:: x_i = \mu_i(x_{<i}) + e^{\alpha_i(x_{<i})} u_i, \qquad
              \log\left|\det\frac{\partial u}{\partial x}\right| = -\sum_{i=1}^{D}\alpha_i(x_{<i}) .

    IAF (Kingma et al., 2016, Sec. 4) is the same layer with the conditioners reading the latent:
    :math:`x_i = \mu_i(z_{<i}) + e^{\alpha_i(z_{<i})} z_i`, :math:`\log|\det \partial x/\partial z| = \sum_i \alpha_i`.

    Returns a ``torch.nn.Module`` with ``to_latent(x) -> (z, log|det dz/dx|)``, ``to_data(z) -> (x,
    log|det dx/dz|)``, ``log_prob(x)`` (nats, base :math:`\mathcal{N}(0, I)`), ``sample(n)``, ``conditioner(y)
    -> (mu, alpha)`` and a counter ``passes`` of conditioner calls (see :func:`autoregressive_flow_passes`).
    ``alpha`` is ``tanh`` times a learned per-coordinate scale (bounded log-scales).
    """
    torch = _torch()
    dim = validate.integer(dim, "dim", lo=2)
    if kind not in _AR_KINDS:
        validate.fail("kind", "'maf' or 'iaf'", kind)
    hidden = validate.integer(hidden, "hidden", lo=dim - 1)
    torch.manual_seed(validate.integer(seed, "seed", lo=0))
    dtype = torch.get_default_dtype()
    # MADE degrees: input i has degree i (1..D); hidden units cycle through 1..D-1; output i may see
    # inputs of degree < i (Germain et al., 2015, Sec. 4)
    deg_in = np.arange(1, dim + 1)
    deg_hidden = np.arange(hidden) % (dim - 1) + 1
    mask_1 = torch.tensor((deg_hidden[:, None] >= deg_in[None, :]).astype(float), dtype=dtype)
    mask_2 = torch.tensor((deg_hidden[:, None] >= deg_hidden[None, :]).astype(float), dtype=dtype)
    mask_out = torch.tensor((deg_in[:, None] > deg_hidden[None, :]).astype(float), dtype=dtype)

    class _MaskedLinear(torch.nn.Linear):
        def __init__(self, mask) -> None:
            super().__init__(mask.shape[1], mask.shape[0])
            self.register_buffer("mask", mask)

        def forward(self, x):
            return torch.nn.functional.linear(x, self.weight * self.mask, self.bias)

    class _AutoregressiveAffine(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            nn = torch.nn
            self.hidden = nn.Sequential(_MaskedLinear(mask_1), nn.Tanh(), _MaskedLinear(mask_2), nn.Tanh())
            self.mu_head, self.alpha_head = _MaskedLinear(mask_out), _MaskedLinear(mask_out)
            self.alpha_scale = nn.Parameter(torch.ones(dim))
            self.dim, self.kind, self.passes = dim, kind, 0

        def conditioner(self, y):
            """(mu, alpha): output i depends only on y_1..y_{i-1}."""
            self.passes += 1
            h = self.hidden(y)
            return self.mu_head(h), self.alpha_scale * torch.tanh(self.alpha_head(h))

        def _parallel_normalise(self, x):  # x -> u given x: one pass
            mu, alpha = self.conditioner(x)
            return (x - mu) * torch.exp(-alpha), -alpha.sum(-1)

        def _parallel_generate(self, z):  # z -> x given z: one pass
            mu, alpha = self.conditioner(z)
            return mu + torch.exp(alpha) * z, alpha.sum(-1)

        def _sequential(self, given, generate: bool):
            """Invert a parallel map one coordinate at a time: D passes."""
            out = torch.zeros_like(given)
            for i in range(self.dim):
                mu, alpha = self.conditioner(out)  # reads the finished coordinates 1..i-1 only
                if generate:   # MAF sampling: x_i = mu_i(x_<i) + exp(alpha_i(x_<i)) u_i
                    new_i = mu[..., i] + torch.exp(alpha[..., i]) * given[..., i]
                else:          # IAF density: z_i = (x_i - mu_i(z_<i)) exp(-alpha_i(z_<i))
                    new_i = (given[..., i] - mu[..., i]) * torch.exp(-alpha[..., i])
                out = torch.cat([out[..., :i], new_i[..., None], out[..., i + 1:]], dim=-1)
            return out, alpha.sum(-1)  # after the last pass alpha is conditioned on the finished vector

        def to_latent(self, x):
            if self.kind == "maf":
                return self._parallel_normalise(x)
            z, alpha_sum = self._sequential(x, generate=False)
            return z, -alpha_sum

        def to_data(self, z):
            if self.kind == "iaf":
                return self._parallel_generate(z)
            return self._sequential(z, generate=True)

        def log_prob(self, x):
            z, log_det = self.to_latent(x)
            return -0.5 * (z ** 2).sum(-1) - 0.5 * self.dim * math.log(2 * math.pi) + log_det

        def sample(self, n: int):
            return self.to_data(torch.randn(n, self.dim, dtype=self.alpha_scale.dtype))[0]

    return _AutoregressiveAffine()


# --------------------------------------------------------------------------------------------------
# Hutchinson's trace estimator (Hutchinson, 1990; FFJORD, Grathwohl et al., 2019)
# --------------------------------------------------------------------------------------------------

def hutchinson_trace(matrix: ArrayLike, n_samples: int, *, noise: str = "gaussian",
                     seed: int = 0) -> tuple[float, float]:
    r"""Hutchinson's unbiased estimate of :math:`\operatorname{tr} A` (Hutchinson, 1990; FFJORD,
    Grathwohl et al., 2019, Sec. 3.1):

    .. math:: \operatorname{tr}(A) = \mathbb{E}_{\epsilon}\left[\epsilon^\top A \epsilon\right], \qquad
              \mathbb{E}[\epsilon] = 0,\ \mathbb{E}[\epsilon\epsilon^\top] = I,

    averaged over ``n_samples`` probes, ``noise`` ``"gaussian"`` (:math:`\mathcal{N}(0, I)`) or
    ``"rademacher"`` (independent :math:`\pm 1`). Each probe needs only the product :math:`A\epsilon` (one
    vector-Jacobian product in FFJORD). Returns (estimate, standard error from the probes' spread).
    """
    a = validate.array(matrix, "matrix")
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        validate.fail("matrix", "a square matrix", a.shape)
    n_samples = validate.integer(n_samples, "n_samples", lo=2)
    rng = np.random.default_rng(validate.integer(seed, "seed", lo=0))
    if noise == "gaussian":
        eps = rng.standard_normal((n_samples, a.shape[0]))
    elif noise == "rademacher":
        eps = rng.choice([-1.0, 1.0], size=(n_samples, a.shape[0]))
    else:
        validate.fail("noise", "'gaussian' or 'rademacher'", noise)
    quad = np.einsum("ni,ij,nj->n", eps, a, eps)
    return float(quad.mean()), float(quad.std(ddof=1) / math.sqrt(n_samples))


# --------------------------------------------------------------------------------------------------
# Dequantisation (Theis, van den Oord & Bethge, 2016; Ho et al., 2019)
# --------------------------------------------------------------------------------------------------

def _log1mexp(d: FloatArray) -> FloatArray:
    r""":math:`\log(1 - e^{d})` for :math:`d \le 0`, without cancellation (Mächler 2012, "Accurately
    computing log(1 - exp(-|a|))", Rmpfr vignette): ``log(-expm1(d))`` for :math:`d > -\log 2`,
    ``log1p(-exp(d))`` otherwise. :math:`-\infty` at :math:`d = 0`."""
    with np.errstate(divide="ignore"):
        return np.where(d > -math.log(2.0), np.log(-np.expm1(np.minimum(d, 0.0))), np.log1p(-np.exp(d)))


def _log_bin_from_logs(dist: Any, x: FloatArray) -> FloatArray:
    r""":math:`\log(F(x+1) - F(x))` from a distribution's ``logcdf`` (left half: :math:`F(x+1) \le 1/2`)
    or ``logsf`` (right half): :math:`\log F(b) + \log(1 - F(a)/F(b))`, or
    :math:`\log S(a) + \log(1 - S(b)/S(a))` with the survival function :math:`S = 1 - F`. Exact in
    both tails, where :math:`F(x+1) - F(x)` underflows or cancels.

    Where even these cancel -- a bin holding a tiny fraction of the mass on its side, i.e. narrow
    against the local scale of the density (near the centre of a wide distribution, or far out in a
    tail) -- the rounding of the logs (about 1e-16 |log F|) would dominate; there the bin's mass is
    :math:`\int_x^{x+1} p(t)\,dt` by :func:`genmath.numerics.integrate` instead, computed as
    :math:`e^{m} \int e^{\log p(t) - m}\,dt` so that it underflows nowhere."""
    with np.errstate(divide="ignore", invalid="ignore"):
        la, lb = np.asarray(dist.logcdf(x), dtype=np.float64), np.asarray(dist.logcdf(x + 1.0), dtype=np.float64)
        sa, sb = np.asarray(dist.logsf(x), dtype=np.float64), np.asarray(dist.logsf(x + 1.0), dtype=np.float64)
        decreasing = (la > lb) | (sb > sa)
        if decreasing.any():
            i = int(np.argmax(decreasing.ravel()))
            validate.fail("cdf", "non-decreasing", float(x.ravel()[i]), f" (log F(x) = {la.ravel()[i]!r} > "
                          f"log F(x + 1) = {lb.ravel()[i]!r} at that x_int)")
        use_left = lb <= -math.log(2.0)
        hi_log, lo_log = np.where(use_left, lb, sa), np.where(use_left, la, sb)  # log of the larger, smaller
        gap = lo_log - hi_log  # <= 0
        out = hi_log + _log1mexp(np.where(hi_log > -np.inf, gap, -np.inf))
        # error of log P from the rounding of the two logs, eps (|lo| + |hi|) / |gap|, against the
        # precision of log P itself (far out in a tail log P is huge and its own ulp is large)
        error = np.finfo(np.float64).eps * (np.abs(lo_log) + np.abs(hi_log)) / np.abs(gap)
        shaky = (hi_log > -np.inf) & ((gap == 0) | (error > 1e-12 * np.maximum(1.0, np.abs(out))))
    flat, x_flat = np.array(out, dtype=np.float64).reshape(-1), x.reshape(-1)
    for j in np.flatnonzero(shaky):
        xi = float(x_flat[j])
        flat[j] = _log_bin_by_quadrature(dist, xi)
    return flat.reshape(np.shape(out))


def _log_bin_by_quadrature(dist: Any, xi: float) -> float:
    """log of the mass of [xi, xi + 1) as peak + log of the integral of exp(log p - peak)."""
    peak = float(np.max(dist.logpdf(np.array([xi, xi + 0.5, xi + 1.0]))))
    if peak == -math.inf:  # no density anywhere near the bin
        return -math.inf

    def scaled_density(t: float) -> float:
        return math.exp(float(dist.logpdf(t)) - peak)

    mass = numerics.integrate(scaled_density, xi, xi + 1.0, name=f"the mass of the bin [{xi:g}, {xi + 1:g})",
                              rtol=1e-10)
    return peak + math.log(mass)


def discrete_log_prob_from_cdf(cdf: Callable[[FloatArray], FloatArray], x_int: ArrayLike, *,
                               sf: Callable[[FloatArray], FloatArray] | None = None) -> FloatArray:
    r"""Exact log-probability (nats) of integer data under a continuous model, per dimension:
    :math:`\log P(x) = \log \int_{[0,1)} p(x + u)\,du = \log(F(x+1) - F(x))`.

    ``cdf``: the model's vectorised CDF :math:`F`; ``x_int``: integer-valued data, any shape.

    * When ``cdf`` is a method of a ``scipy.stats`` distribution (``norm(0, 1).cdf``, or ``norm.cdf``),
      its ``logcdf`` and ``logsf`` are used instead, and the result is exact in both tails
      (``x_int = -39``: -726.6; ``x_int = 9``: -43.6, where :math:`F(10) - F(9)` is 0 in float64).
    * Otherwise :math:`F(x+1) - F(x)` is formed from the values of ``cdf`` -- or, where
      :math:`F(x+1) > 1/2` and ``sf`` (the survival function :math:`1 - F`) is given, as
      :math:`S(x) - S(x+1)`. A difference that has lost more than half of float64's digits to
      cancellation (:math:`F(x+1) / (F(x+1) - F(x)) > 4.5 \times 10^{7}`) or to underflow (below
      2.2e-308), or that is 0 (underflow or zero mass: the values cannot say which), raises
      ``ValueError`` naming ``x_int`` and suggesting ``sf`` or a scipy distribution.

    Values of ``cdf``/``sf`` outside [0, 1], or a ``cdf`` that decreases, raise ``ValueError``.
    """
    x = validate.array(x_int, "x_int")
    if (x != np.round(x)).any():
        validate.fail("x_int", "integer-valued", float(x[x != np.round(x)].flat[0]))
    owner = getattr(cdf, "__self__", None)
    if (getattr(cdf, "__name__", None) == "cdf" and callable(getattr(owner, "logcdf", None))
            and callable(getattr(owner, "logsf", None))):  # the .cdf of a scipy.stats distribution
        return _log_bin_from_logs(owner, x)

    def values(f: Callable[[FloatArray], FloatArray], at: FloatArray, name: str) -> FloatArray:
        out = np.broadcast_to(np.asarray(f(at), dtype=np.float64), at.shape)
        bad = ~((out >= 0.0) & (out <= 1.0))  # also NaN
        if bad.any():
            validate.fail(name, "a CDF with values in [0, 1]" if name == "cdf" else "a survival function "
                          "with values in [0, 1]", float(out[bad].flat[0]), f" at x = {at[bad].flat[0]!r}")
        return out

    f_a, f_b = values(cdf, x, "cdf"), values(cdf, x + 1.0, "cdf")
    if (f_b < f_a).any():
        i = np.argwhere(f_b < f_a)[0]
        validate.fail("cdf", "non-decreasing", float(f_b[tuple(i)]), f" as cdf({x[tuple(i)] + 1:g}) < cdf("
                      f"{x[tuple(i)]:g}) = {float(f_a[tuple(i)])!r}")
    top, mass = f_b, f_b - f_a
    if sf is not None:
        s_a, s_b = values(sf, x, "sf"), values(sf, x + 1.0, "sf")
        if (s_a < s_b).any():
            validate.fail("sf", "non-increasing", float(s_b[s_a < s_b].flat[0]))
        upper = f_b > 0.5
        top, mass = np.where(upper, s_a, f_b), np.where(upper, s_a - s_b, mass)
    with np.errstate(divide="ignore"):
        lost = (mass < np.finfo(np.float64).tiny) | (top / np.where(mass > 0, mass, 1.0) > 4.5e7)
    if lost.any():
        i = tuple(np.argwhere(lost)[0])
        validate.fail("x_int", "where F(x + 1) - F(x) is representable from the values of `cdf`",
                      float(x[i]), f" (F(x) = {float(f_a[i])!r}, F(x + 1) = {float(f_b[i])!r}: the difference "
                      f"{'underflows or is 0' if mass[i] < np.finfo(np.float64).tiny else 'cancels'}); pass "
                      f"`sf` (1 - F) for the upper tail, or the `.cdf` of a scipy.stats distribution, "
                      f"whose logcdf and logsf are then used")
    return np.log(mass)


def dequantized_log_density_bound(log_prob: Callable[[float], float], x_int: ArrayLike) -> FloatArray:
    r"""The uniform-dequantisation objective (nats) per integer value, by quadrature over the unit bin:

    .. math:: \mathbb{E}_{u\sim U[0,1)}[\log p(x+u)] = \int_0^1 \log p(x+u)\,du \;\le\; \log P(x),

    the inequality by Jensen (Theis et al., 2016, Sec. 3.1, Eq. 6). ``x_int``: integer-valued data
    (``ValueError`` otherwise), any shape. Each bin through :func:`genmath.numerics.integrate`; a
    ``log_prob`` that is NaN or infinite in a bin raises ``ValueError`` naming the point (an
    infinite value would make the bound :math:`-\infty`).
    """
    x = validate.array(x_int, "x_int")
    if (x != np.round(x)).any():
        validate.fail("x_int", "integer-valued", float(x[x != np.round(x)].flat[0]))
    def bin_bound(xi: float) -> float:
        return numerics.integrate(lambda u: log_prob(xi + u), 0.0, 1.0, name=f"E_u[log p({xi:g} + u)]")

    flat = [bin_bound(float(xi)) for xi in x.ravel()]
    return np.asarray(flat, dtype=np.float64).reshape(x.shape)


def rescaled_log_density(log_p_data_scale: ArrayLike, n_bins: int = 256, dim: int = 1) -> FloatArray:
    r"""Log-density (nats) after rescaling data from :math:`[0, K)^D` to :math:`[0, 1)^D`, :math:`K` = ``n_bins``:
    :math:`\log p_{[0,1)}(y/K) = \log p_{[0,K)}(y) + D\log K`."""
    n_bins = validate.integer(n_bins, "n_bins", lo=2)
    dim = validate.integer(dim, "dim", lo=1)
    return validate.array(log_p_data_scale, "log_p_data_scale") + dim * math.log(n_bins)
