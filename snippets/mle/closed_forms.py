"""Closed-form MLEs versus a numerical maximiser of the log-likelihood (scipy), on random data."""

import numpy as np
from scipy.optimize import minimize, minimize_scalar

from genmath.mle import (
    bernoulli_log_likelihood,
    bernoulli_mle,
    categorical_log_likelihood,
    categorical_mle,
    gaussian_log_likelihood,
    gaussian_mle,
    poisson_log_likelihood,
    poisson_mle,
)
from genmath.snippet import claim, publish, table

rng = np.random.default_rng(0)


def argmax_1d(loglik, lo, hi):
    """Numerical maximiser of a log-likelihood of one parameter (bounded Brent search)."""
    return minimize_scalar(lambda t: -loglik(t), bounds=(lo, hi), method="bounded",
                           options={"xatol": 1e-10}).x


rows = []

# Bernoulli: 0/1 data
x_bern = rng.binomial(1, 0.3, size=50)
publish("mle.cf.bern.n", x_bern.size)
publish("mle.cf.bern.k", int(x_bern.sum()))
p_hat = publish("mle.cf.bern.p_hat", bernoulli_mle(x_bern))
p_num = argmax_1d(lambda p: bernoulli_log_likelihood(p, x_bern), 1e-9, 1 - 1e-9)
rows.append(["Bernoulli", "p", p_hat, p_num, abs(p_hat - p_num)])

# Gaussian: mean and biased (1/n) variance
x_gauss = rng.normal(1.0, 2.0, size=20)
n = publish("mle.cf.gauss.n", x_gauss.size)
publish("mle.cf.gauss.sum_x", x_gauss.sum())
mu_hat, sigma2_hat = gaussian_mle(x_gauss)
publish("mle.cf.gauss.sum_sq", np.sum((x_gauss - mu_hat) ** 2))
publish("mle.cf.gauss.mu_hat", mu_hat)
publish("mle.cf.gauss.sigma2_hat", sigma2_hat)
publish("mle.cf.gauss.sigma2_unbiased", x_gauss.var(ddof=1))
# optimise over (mu, log sigma) so that sigma stays positive without constraints
fit = minimize(lambda th: -gaussian_log_likelihood(x_gauss, th[0], np.exp(th[1])), x0=[0.0, 0.0],
               method="BFGS", options={"gtol": 1e-10})
rows.append(["Gaussian", "μ", mu_hat, fit.x[0], abs(mu_hat - fit.x[0])])
rows.append(["Gaussian", "σ²", sigma2_hat, np.exp(2 * fit.x[1]), abs(sigma2_hat - np.exp(2 * fit.x[1]))])

# Poisson: counts
x_pois = rng.poisson(3.0, size=30)
publish("mle.cf.pois.n", x_pois.size)
publish("mle.cf.pois.total", int(x_pois.sum()))
lam_hat = publish("mle.cf.pois.lam_hat", poisson_mle(x_pois))
lam_num = argmax_1d(lambda lam: poisson_log_likelihood(lam, x_pois), 1e-9, 50)
rows.append(["Poisson", "λ", lam_hat, lam_num, abs(lam_hat - lam_num)])

# Categorical: counts of K = 4 categories; optimise over softmax logits
labels = rng.choice(4, size=60, p=[0.1, 0.2, 0.3, 0.4])
counts = np.bincount(labels, minlength=4)
publish("mle.cf.cat.n", int(counts.sum()))
for k, c in enumerate(counts):
    publish(f"mle.cf.cat.count_{k + 1}", int(c))
pi_hat = categorical_mle(counts)
for k, p in enumerate(pi_hat):
    publish(f"mle.cf.cat.pi_hat_{k + 1}", p)


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


fit = minimize(lambda z: -categorical_log_likelihood(softmax(z), counts), x0=np.zeros(4), method="BFGS",
               options={"gtol": 1e-10})
for k in range(4):
    rows.append(["categorical", f"π_{k + 1}", pi_hat[k], softmax(fit.x)[k], abs(pi_hat[k] - softmax(fit.x)[k])])

max_abs_diff = publish("mle.cf.max_abs_diff", max(r[4] for r in rows))
claim(max_abs_diff < 1e-6, "every closed form agrees with the numerical maximiser to the optimiser's tolerance")
table(["model", "parameter", "closed form", "numerical argmax", "|difference|"], rows, fmt=".6g")
