"""Formula checks for docs/entropy.md: surprisal, entropy, bits and nats, differential entropy, cross-entropy.

References are computed by other code than the page's expressions: entropies of discrete laws from
``scipy.stats.entropy``, cross-entropies from scipy's ``xlogy``, KL divergences from its ``rel_entr``,
entropies in bits from base-2 logarithms (not a division by log 2), the binary entropy
from ``scipy.stats.bernoulli``, Gaussian entropies from scipy's closed form, and integrals and
expectations by error-checked quadrature (genmath.formulas.objects).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize
import scipy.special
import scipy.stats

from genmath.formulas import MVN, ByParts, Check, Density, Discrete, Domain, Finite, Mixture, Normal, Reals
from genmath.formulas import objects as ob
from genmath.formulas.evaluate import LAW, EvalError, Unbound
from genmath.formulas.objects import Distribution, Model


def _probs(rng: np.random.Generator, k: int, zeros: bool = False) -> np.ndarray:
    """A random distribution on k outcomes; with ``zeros``, some outcomes may have probability 0."""
    p = rng.dirichlet(np.full(k, 0.7))
    if zeros and k > 2 and rng.uniform() < 0.4:
        p[rng.choice(k, size=int(rng.integers(1, k - 1)), replace=False)] = 0.0
        p /= p.sum()
    return p


def _pair(rng: np.random.Generator) -> dict:
    """p (possibly with zeros) and a model q of it (q = p now and then), on the support 0..k-1."""
    k = int(rng.integers(2, 8))
    support = list(range(k))
    p = _probs(rng, k, zeros=True)
    q = p.copy() if rng.uniform() < 0.15 and p.min() > 0 else _probs(rng, k)
    return {"p": Discrete(p, support), "q": Discrete(q, support), "x": Finite(support)}


def _surprisal(rng: np.random.Generator) -> dict:
    k = int(rng.integers(2, 8))
    p = _probs(rng, k)
    x = int(rng.choice(k, p=p))
    law = scipy.stats.rv_discrete(values=(np.arange(k), p))
    # I(x): scipy's log-probability of the outcome, negated
    return {"p": Discrete(p, list(range(k))), "x": x, "I": lambda v: -float(law.logpmf(v))}


def _entropy_bits(d: Discrete) -> float:
    """H in bits with base-2 logarithms (0 log 0 = 0), not nats divided by log 2."""
    p = d.probs[d.probs > 0]
    return float(-np.sum(p * np.log2(p)))


def _bits_nats(rng: np.random.Generator) -> dict:
    return {"p": _pair(rng)["p"], "H_bits": _entropy_bits}


def _binary(rng: np.random.Generator) -> dict:
    p = float(rng.choice([0.0, 0.5, 1.0])) if rng.uniform() < 0.2 else float(rng.uniform(0.001, 0.999))
    return {"p": p, "H_b": lambda v: float(scipy.stats.bernoulli(v).entropy())}


def _differential(rng: np.random.Generator) -> dict:
    mu, sigma = float(rng.normal()), float(rng.uniform(0.05, 5.0))  # sigma < 0.242: h < 0
    return {"p": Normal(mu, sigma**2), "x": Reals(points=[mu])}


def _gaussian(rng: np.random.Generator) -> dict:
    mu, sigma = float(rng.normal(scale=2.0)), float(rng.uniform(0.05, 5.0))
    return {"mu": mu, "sigma": sigma, LAW: Normal(mu, sigma**2)}


def _sigma_zero(rng: np.random.Generator) -> dict:
    # the width at which scipy's Gaussian entropy crosses zero, by Brent's method
    root = scipy.optimize.brentq(lambda s: float(scipy.stats.norm(scale=s).entropy()), 0.01, 1.0, xtol=1e-15)
    return {"sigma_0": root}


def _softmax(rng: np.random.Generator) -> dict:
    k = int(rng.integers(2, 7))
    z = rng.normal(scale=3.0, size=k)
    if rng.uniform() < 0.2:
        z[:] = z[0]  # equal logits: the loss is log K whatever the label
    return {"z": z, "y": int(rng.integers(1, k + 1)), "K": k, "bfe": np.eye(k)}  # e_y: row y of I


# --------------------------------------------------------------------------------------------------
# several variables: joint tables of named discrete variables


class _Joint:
    """A joint probability table ``p[x, y, ...]`` of named variables (one axis per name).

    ``H`` and ``I`` are the information measures of the variables as :class:`ByParts` functions
    (``H(X, Y)``, ``H(Y \\mid X = x)``, ``I(X; Y, Z \\mid W)``), computed from their DEFINITIONS:
    an entropy is ``scipy.stats.entropy`` of a (conditional) distribution, a conditional entropy the
    average of the entropies of the conditional distributions, a mutual information the average KL
    divergence (scipy's ``rel_entr``) from the conditional joint to the product of its conditional
    marginals. None of them uses the chain rule or the identities that the page derives.
    """

    def __init__(self, table: np.ndarray, names: list[str]) -> None:
        self.table, self.names = table, names

    def _law(self, fixed: dict[str, int]) -> np.ndarray:
        """The joint table conditioned on the events ``name = value`` (renormalised); axes kept."""
        index = tuple(fixed.get(n, slice(None)) for n in self.names)
        sub = self.table[index]
        return sub / sub.sum()

    def _marginal(self, table: np.ndarray, names: list[str], keep: list[str]) -> np.ndarray:
        """The marginal of ``keep`` (in that order) of a table over ``names``."""
        drop = tuple(i for i, n in enumerate(names) if n not in keep)
        out = table.sum(axis=drop)
        left = [n for n in names if n in keep]
        return np.transpose(out, [left.index(n) for n in keep])

    @staticmethod
    def _split(given: list) -> tuple[dict[str, int], list[str]]:
        fixed = {name: int(value) for name, value in (g for g in given if isinstance(g, tuple))}
        return fixed, [g.name for g in given if isinstance(g, Unbound)]

    def _average(self, given: list, measure) -> float:
        """E over the unbound conditioning variables of measure(conditional table, its names)."""
        fixed, cond = self._split(given)
        table = self._law(fixed)
        names = [n for n in self.names if n not in fixed]
        if not cond:
            return measure(table, names)
        p_c = self._marginal(table, names, cond)
        total = 0.0
        for idx in np.ndindex(*p_c.shape):
            if p_c[idx] == 0:
                continue
            index = tuple(idx[cond.index(n)] if n in cond else slice(None) for n in names)
            sub = table[index]
            total += p_c[idx] * measure(sub / sub.sum(), [n for n in names if n not in cond])
        return float(total)

    def H(self, args: list, semi: list, given: list) -> float:
        if semi or not all(isinstance(a, Unbound) for a in args):
            raise EvalError("H(...) of something that is not a random variable")
        targets = [a.name for a in args]
        return self._average(given, lambda t, names: float(
            scipy.stats.entropy(self._marginal(t, names, targets).ravel())))

    def I(self, args: list, semi: list, given: list) -> float:
        if not all(isinstance(v, Unbound) for v in [*args, *semi]):
            raise EvalError("I(...; ...) of something that is not a random variable")
        if not semi:
            return 0.0  # I(X) = I(X; nothing): no second variable shares anything with X
        a, b = [x.name for x in args], [x.name for x in semi]

        def mi(t: np.ndarray, names: list[str]) -> float:
            p_ab = self._marginal(t, names, a + b).reshape(int(np.prod([t.shape[names.index(n)] for n in a])), -1)
            product = np.outer(p_ab.sum(axis=1), p_ab.sum(axis=0))
            return float(np.sum(scipy.special.rel_entr(p_ab, product)))

        return self._average(given, mi)


def _table(rng: np.random.Generator, shape: tuple[int, ...], zeros: bool = True) -> np.ndarray:
    """A random joint table; some cells may be 0, but every value of every variable has mass."""
    while True:
        p = rng.dirichlet(np.full(int(np.prod(shape)), 0.8)).reshape(shape)
        if zeros and rng.uniform() < 0.5:
            p.flat[rng.choice(p.size, size=p.size // 4, replace=False)] = 0.0
        if all(np.all(p.sum(axis=tuple(j for j in range(p.ndim) if j != i)) > 0) for i in range(p.ndim)):
            return p / p.sum()


class _TableModel(Model):
    """The model p(x, y, ...) of a joint table, every law by variable names (lowercase, one per axis):
    p(x), p(x, y), p(y | x), and also p(x, x) (the diagonal: a variable named twice) and p(x | x) (a
    point mass), so that a formula with a swapped variable is wrong by value, not unreadable."""

    def __init__(self, table: np.ndarray, names: list[str]) -> None:
        self.table, self.names = table, names

    def law(self, targets, given):
        fixed = {n: int(v) for n, v in given.items()}
        if any(n not in self.names for n in [*targets, *fixed]):
            raise KeyError(f"the table has no variable among {[*targets, *fixed]} (it has {self.names})")
        index = tuple(fixed.get(n, slice(None)) for n in self.names)
        sub = self.table[index]
        sub = sub / sub.sum()
        free = [n for n in self.names if n not in fixed]

        def pmf(point) -> float:
            values = dict(fixed)
            for name, v in zip(targets, np.atleast_1d(point)):
                if name in values and values[name] != int(v):
                    return 0.0  # p(x, x) off the diagonal, p(x | x) elsewhere than x
                values[name] = int(v)
            rest = [n for n in free if n not in values]
            cell = sub[tuple(values[n] if n in values else slice(None) for n in free)]
            return float(np.sum(cell)) if rest else float(cell)

        if len(targets) == 1 and targets[0] not in fixed:
            size = self.table.shape[self.names.index(targets[0])]
            return Discrete([pmf(i) for i in range(size)], list(range(size))).named(targets[0])
        return _Pmf(pmf)


class _Pmf(Distribution):
    """A probability mass function of several variables, evaluated at a point (a vector)."""

    def __init__(self, fn) -> None:
        self.fn = fn

    def pdf(self, x) -> float:
        return self.fn(x)


def _two(rng: np.random.Generator) -> dict:
    """X and Y with a random (non-square, sometimes independent) joint table, as a model p(x, y) with
    every marginal and conditional by variable names, as matrices, and as information measures."""
    a, b = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    if a == b:
        b += 1  # non-square: H(X) and H(Y) differ, so a swapped X and Y shows
    if rng.uniform() < 0.2:  # independent: I = 0, H(Y | X) = H(Y)
        p = np.outer(rng.dirichlet(np.ones(a)), rng.dirichlet(np.ones(b)))
    else:
        p = _table(rng, (a, b))
    joint = _Joint(p, ["X", "Y"])

    def kl(u, v):
        """KL of two tables (the joint and p_X p_Y, as matrices) or of two distributions."""
        if isinstance(u, np.ndarray) and isinstance(v, np.ndarray):
            return float(np.sum(scipy.special.rel_entr(u, v)))
        if not (isinstance(u, Distribution) and isinstance(v, Distribution)):
            raise EvalError("KL of something that is not a distribution")
        return ob.kl(u, v, ob.Tol())

    return {"p": _TableModel(p, ["x", "y"]), "x": Finite(range(a)), "y": Finite(range(b)), "H": ByParts(joint.H),
            "I": ByParts(joint.I), "p_XY": p, "p_X": p.sum(axis=1).reshape(-1, 1), "p_Y": p.sum(axis=0).reshape(1, -1),
            "KL": kl}


def _three(rng: np.random.Generator, markov: bool = False) -> dict:
    """X, Y, Z with a random joint table, or (``markov``) a Markov chain X -> Y -> Z with non-square
    channels; now and then Z is a relabelling of Y (the equality case of the data-processing inequality)
    or Y carries nothing about X."""
    a, b, c = (int(v) for v in rng.integers(2, 5, size=3))
    if not markov:
        p = _table(rng, (a, b, c))
    else:
        p_x = rng.dirichlet(np.ones(a))
        k1 = rng.dirichlet(np.full(b, 0.7), size=a)
        u = rng.uniform()
        if u < 0.2:
            c, k2 = b, np.eye(b)[rng.permutation(b)]  # Z = a relabelling of Y: I(X; Z) = I(X; Y)
        elif u < 0.3:
            k1 = np.tile(rng.dirichlet(np.ones(b)), (a, 1))  # Y independent of X: both sides 0
            k2 = rng.dirichlet(np.ones(c), size=b)
        else:
            k2 = rng.dirichlet(np.full(c, 0.7), size=b)
        p = p_x[:, None, None] * k1[:, :, None] * k2[None, :, :]
    joint = _Joint(p, ["X", "Y", "Z"])
    return {"H": ByParts(joint.H), "I": ByParts(joint.I)}


CHECKS = {
    "entropy-surprisal": Check(_surprisal),
    "entropy-def": Check(_pair),
    "entropy-bits-nats": Check(_bits_nats),
    "entropy-binary": Check(_binary),
    "entropy-differential": Check(_differential, n_points=8, rtol=1e-8, atol=1e-9),
    "entropy-gaussian": Check(_gaussian, n_points=10, rtol=1e-9, atol=1e-10),
    "entropy-sigma-zero": Check(_sigma_zero, n_points=1, rtol=1e-12),
    "entropy-cross": Check(_pair),
    "entropy-cross-decomposition": Check(_pair),
    "entropy-softmax-ce": Check(_softmax),
    "entropy-joint": Check(_two),
    "entropy-conditional": Check(_two),
    "entropy-chain-rule": Check(_two),
    "entropy-mi": Check(_two),
    "entropy-mi-kl": Check(_two),
    "entropy-conditioning": Check(_two),
    "entropy-cmi": Check(_three),
    "entropy-mi-chain": Check(_three),
    "entropy-dpi": Check(lambda rng: _three(rng, markov=True)),
}


# --------------------------------------------------------------------------------------------------
# maximum entropy, Gaussian vectors, change of variables


def _scipy_density(dist, lo: float, hi: float, points: list[float]) -> Density:
    """A Density from a frozen scipy distribution (its own pdf and logpdf), on [lo, hi]."""
    return Density(pdf_fn=lambda v: float(dist.pdf(v)), logpdf_fn=lambda v: float(dist.logpdf(v)), lo=lo, hi=hi,
                   points=points)


def _same_variance(rng: np.random.Generator) -> dict:
    """A density f with mean mu and variance sigma^2 of a random shape (Gaussian: the equality case), the
    Gaussian varphi with those moments, and the domain of f for the integral over x."""
    mu, sigma = float(rng.normal()), float(rng.uniform(0.3, 3.0))
    kind = ["gauss", "laplace", "logistic", "uniform", "mixture"][int(rng.integers(5))]
    if kind == "gauss":
        f = Normal(mu, sigma**2)
        x = Reals(points=[mu])
    elif kind == "mixture":  # 0.5 N(mu - 0.8 s, (0.6 s)^2) + 0.5 N(mu + 0.8 s, (0.6 s)^2): variance s^2
        f = Mixture([0.5, 0.5], [mu - 0.8 * sigma, mu + 0.8 * sigma], [(0.6 * sigma) ** 2] * 2)
        x = Domain(lo=f.lo, hi=f.hi, points=f.points)
    else:
        half = math.sqrt(3) * sigma
        dist, lo, hi = {
            "laplace": (scipy.stats.laplace(mu, sigma / math.sqrt(2)), mu - 60 * sigma, mu + 60 * sigma),
            "logistic": (scipy.stats.logistic(mu, sigma * math.sqrt(3) / math.pi), mu - 60 * sigma, mu + 60 * sigma),
            "uniform": (scipy.stats.uniform(mu - half, 2 * half), mu - half, mu + half),
        }[kind]
        f = _scipy_density(dist, lo, hi, [mu])
        x = Domain(lo=lo, hi=hi, points=[mu])
    return {"f": f, "varphi": Normal(mu, sigma**2), "mu": mu, "sigma": sigma, "x": x}


def _mvn_entropy(rng: np.random.Generator) -> dict:
    k = int(rng.integers(1, 5))
    a = rng.normal(size=(k, k))
    return {"mu": rng.normal(size=k), "Sigma": a @ a.T + 0.3 * np.eye(k), "k": k}


def _gaussian_pair(rng: np.random.Generator) -> dict:
    """Two coordinates of a Gaussian vector with random variances and correlation (0 now and then). Their
    entropies come from scipy; I(X_1; X_2) is the KL divergence from the joint to the product of the
    marginals, by torch.distributions."""
    import torch
    from torch.distributions import MultivariateNormal, kl_divergence

    s1, s2 = rng.uniform(0.2, 3.0, size=2)
    rho = 0.0 if rng.uniform() < 0.15 else float(rng.uniform(-0.99, 0.99))
    cov = np.array([[s1**2, rho * s1 * s2], [rho * s1 * s2, s2**2]])
    variances = {"X_1": s1**2, "X_2": s2**2}

    def names_of(items) -> list[str]:
        if not all(isinstance(a, Unbound) and a.name in variances for a in items):
            raise EvalError("the variables here are X_1 and X_2")
        return [a.name for a in items]

    def h(args, semi, given):
        names = names_of(args)
        if semi or given or len(names) not in (1, 2):
            raise EvalError("h(...) of these two coordinates only")
        if len(names) == 1:
            return float(scipy.stats.norm(0.0, math.sqrt(variances[names[0]])).entropy())
        if names[0] == names[1]:
            return -math.inf  # h(X, X): a degenerate law
        return float(scipy.stats.multivariate_normal(np.zeros(2), cov).entropy())

    def mutual(args, semi, given):
        names_of([*args, *semi])
        if not semi:
            return 0.0  # I(X) = I(X; nothing)
        if given or len(args) != 1 or len(semi) != 1:
            raise EvalError("I(X_1; X_2) only")
        if args[0].name == semi[0].name:
            return math.inf  # I(X; X) = h(X) + infinity for a continuous X
        t = lambda m: torch.tensor(m, dtype=torch.float64)
        joint = MultivariateNormal(t(np.zeros(2)), t(cov))
        product = MultivariateNormal(t(np.zeros(2)), t(np.diag(np.diag(cov))))
        return float(kl_divergence(joint, product))

    return {"h": ByParts(h), "I": ByParts(mutual), "rho": rho}


def _change_of_variables(rng: np.random.Generator) -> dict:
    """Y = f(X) for an invertible f: exp of a Gaussian (log-normal), a power of an exponential variable
    (Weibull), or an affine map of a Gaussian vector in 2 or 3 dimensions. The law of Y comes from its
    own scipy distribution (log-normal, Weibull, Gaussian), its entropy by quadrature or scipy, never from
    the Jacobian."""
    kind = ["lognormal", "weibull", "affine"][int(rng.integers(3))]
    if kind == "lognormal":
        mu, s = float(rng.normal()), float(rng.uniform(0.3, 0.8))
        x = Normal(mu, s**2)
        dist = scipy.stats.lognorm(s, scale=math.exp(mu))
        y = _scipy_density(dist, 0.0, math.exp(mu + 12 * s), [math.exp(mu - s * s), math.exp(mu)])
        jacobian = math.exp
    elif kind == "weibull":
        c = float(rng.uniform(1.2, 3.0))
        x = _scipy_density(scipy.stats.expon(), 0.0, 60.0, [1.0])
        y = _scipy_density(scipy.stats.weibull_min(c), 0.0, 60.0 ** (1 / c), [1.0])

        def jacobian(v: float) -> float:  # d/dx x^(1/c)
            return v ** (1 / c - 1) / c
    else:
        k = int(rng.integers(2, 4))
        a = rng.normal(size=(k, k)) + 1.5 * np.eye(k)
        b = rng.normal(size=(k, k))
        cov, mean, shift = b @ b.T + 0.3 * np.eye(k), rng.normal(size=k), rng.normal(size=k)
        x = MVN(mean, cov)
        y = MVN(a @ mean + shift, a @ cov @ a.T)

        def jacobian(v):
            return a
    x = x.named("X")
    return {"X": x, "Y": y, "J_f": jacobian, LAW: x}


# --------------------------------------------------------------------------------------------------
# perplexity, binary cross-entropy, soft targets


def _perplexity(rng: np.random.Generator) -> dict:
    point = _pair(rng)
    # PPL(p, q): the geometric mean of 1/q(x) with weights p(x), prod q^(-p) (0^0 = 1), not an exponential
    point["PPL"] = lambda p, q: float(np.prod(np.asarray([q.pdf(s) for s in p.support]) ** (-p.probs)))
    return point


def _bce(rng: np.random.Generator) -> dict:
    y = float(rng.choice([0.0, 1.0])) if rng.uniform() < 0.4 else float(rng.uniform())
    return {"y": y, "yhat": float(rng.uniform(0.001, 0.999))}


def _bce_logits(rng: np.random.Generator) -> dict:
    import torch

    def ell(z: float, y: float) -> float:  # PyTorch's loss, computed its own way
        return float(torch.nn.functional.binary_cross_entropy_with_logits(
            torch.tensor(z, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)))

    y = float(rng.choice([0.0, 1.0])) if rng.uniform() < 0.4 else float(rng.uniform())
    return {"z": float(rng.uniform(-8, 8)), "y": y, "ell": ell, "sigma": lambda v: float(scipy.special.expit(v))}


def _smoothed_discriminator(rng: np.random.Generator) -> dict:
    """Data and generator densities, a smoothing level alpha (1: no smoothing), and D* by a numerical
    maximiser of the pointwise objective alpha p log D + (1 - alpha) p log(1 - D) + p_g log(1 - D)."""
    p_data = Normal(float(rng.normal()), float(rng.uniform(0.3, 2.0)) ** 2)
    p_g = Normal(float(rng.normal()), float(rng.uniform(0.3, 2.0)) ** 2)
    alpha = 1.0 if rng.uniform() < 0.2 else float(rng.uniform(0.5, 1.0))

    def d_star(x: float) -> float:
        """The maximiser over D = sigmoid(t), searched in t (log D = log_expit(t), log(1 - D) = log_expit(-t))."""
        a, b = p_data.pdf(x), p_g.pdf(x)
        best = ob.argmax(lambda t: alpha * a * float(scipy.special.log_expit(t))
                         + ((1 - alpha) * a + b) * float(scipy.special.log_expit(-t)), -40.0, 40.0)
        return float(scipy.special.expit(best))

    return {"Dstar": d_star, "p_data": p_data, "p_g": p_g, "alpha": alpha, "x": float(rng.normal(scale=1.5))}


def _ce_gradient(rng: np.random.Generator) -> dict:
    k = int(rng.integers(2, 7))
    p = _probs(rng, k, zeros=True)
    return {"p": p, "z": rng.normal(scale=2.0, size=k)}


def _label_smoothing(rng: np.random.Generator) -> dict:
    """PyTorch's label-smoothed cross-entropy (its own implementation) against the smoothed target built
    from its definition; y is 1-based on the page (row y of the identity is e_y)."""
    import torch

    k = int(rng.integers(2, 8))
    eps = float(rng.choice([0.0, 1.0])) if rng.uniform() < 0.2 else float(rng.uniform())
    y = int(rng.integers(1, k + 1))

    def ell(z: np.ndarray, label: float) -> float:
        return float(torch.nn.functional.cross_entropy(torch.tensor(z)[None], torch.tensor([int(label) - 1]),
                                                       label_smoothing=eps))

    u = np.full(k, 1.0 / k)
    return {"ell_epsilon": ell, "z": rng.normal(scale=2.0, size=k), "y": y, "epsilon": eps, "bfe": np.eye(k),
            "u": u, "p_epsilon": (1 - eps) * np.eye(k)[y - 1] + eps * u}


def _smoothing_gap(rng: np.random.Generator) -> dict:
    """The logits that minimise PyTorch's label-smoothed loss, found by a numerical maximiser over the gap
    g between the label's logit and the others (all equal, by symmetry)."""
    import torch

    k = int(rng.integers(2, 12))
    eps = float(rng.uniform(0.02, 0.9))
    y = int(rng.integers(1, k + 1))

    def neg_loss(g: float) -> float:
        z = torch.zeros(k, dtype=torch.float64)
        z[y - 1] = g
        return -float(torch.nn.functional.cross_entropy(z[None], torch.tensor([y - 1]), label_smoothing=eps))

    z = np.full(k, float(rng.normal(scale=3.0)))  # softmax does not see a common shift of the logits
    z[y - 1] += ob.argmax(neg_loss, 0.0, 40.0)
    others = [j for j in range(1, k + 1) if j != y]
    return {"z": z, "y": y, "k": int(rng.choice(others)), "K": k, "epsilon": eps}


CHECKS.update({
    "entropy-maxent-cross": Check(_same_variance, n_points=10, rtol=1e-8, atol=1e-9),
    "entropy-maxent": Check(_same_variance, n_points=10, rtol=1e-8, atol=1e-9),
    "entropy-mvn": Check(_mvn_entropy),
    "entropy-gaussian-mi": Check(_gaussian_pair),
    "entropy-change-of-variables": Check(_change_of_variables, n_points=10, rtol=1e-8, atol=1e-9),
    "entropy-perplexity": Check(_perplexity),
    "entropy-bce": Check(_bce),
    "entropy-bce-logits": Check(_bce_logits),
    "entropy-smoothed-discriminator": Check(_smoothed_discriminator, rtol=1e-8, atol=1e-10),
    "entropy-ce-gradient": Check(_ce_gradient, rtol=1e-7, atol=1e-9),
    "entropy-label-smoothing": Check(_label_smoothing),
    "entropy-smoothing-gap": Check(_smoothing_gap, n_points=10, rtol=1e-7, atol=1e-9),
})
