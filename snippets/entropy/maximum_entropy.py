"""Maximum entropy: unit-variance densities against the Gaussian, the multivariate Gaussian, and the
change of variables h(f(X)) = h(X) + E log|det J_f(X)|."""

import math

import numpy as np
import scipy.stats

import genmath
from genmath.snippet import publish, table

# 1. Densities with mean 0 and variance 1: none has more differential entropy than the Gaussian
phi = scipy.stats.norm(0.0, 1.0)
h_gauss = publish("entropy.maxent.h_gauss", genmath.gaussian_entropy(1.0), unit="nats")
family = {
    "gauss": ("Gaussian", phi),
    "logistic": ("logistic", scipy.stats.logistic(scale=math.sqrt(3) / math.pi)),
    "laplace": ("Laplace", scipy.stats.laplace(scale=1 / math.sqrt(2))),
    "t5": ("Student t, 5 d.o.f.", scipy.stats.t(5, scale=math.sqrt(3 / 5))),
    "uniform": ("uniform", scipy.stats.uniform(-math.sqrt(3), 2 * math.sqrt(3))),
}
rows = []
for key, (label, f) in family.items():
    assert abs(f.var() - 1.0) < 1e-12 and abs(f.mean()) < 1e-12
    h_f = float(f.entropy())  # scipy's closed forms
    lo, hi = (-math.sqrt(3), math.sqrt(3)) if key == "uniform" else (-np.inf, np.inf)
    kl = genmath.kl_continuous(f.logpdf, phi.logpdf, lower=lo, upper=hi,
                               points=[0.0] if key == "laplace" else None)  # quadrature; split at Laplace's kink
    assert abs((h_gauss - h_f) - kl) < 1e-8, "KL(f || phi) = h(phi) - h(f)"
    assert key == "gauss" or kl > 0.01, "every other shape has less entropy than the Gaussian"
    if key != "gauss":
        publish(f"entropy.maxent.h_{key}", h_f, unit="nats")
        publish(f"entropy.maxent.kl_{key}", kl, unit="nats")
    rows.append([label, h_f, h_gauss - h_f, kl])
table(["density f (variance 1)", "h(f) (nats)", "h(φ) − h(f) (nats)", "KL(f ‖ φ) by quadrature (nats)"], rows,
      fmt=".6f")

# 2. A Gaussian vector: h = 1/2 log det(2 pi e Sigma); correlation lowers it by the mutual information
rng = np.random.default_rng(0)
a = rng.normal(size=(3, 3))
cov = a @ a.T + 0.5 * np.eye(3)
publish("entropy.mvn.h", genmath.mvn_entropy(cov), unit="nats")
publish("entropy.mvn.h_bits", genmath.mvn_entropy(cov, base=2), unit="bits")
publish("entropy.mvn.h_scipy", scipy.stats.multivariate_normal(np.zeros(3), cov).entropy(), unit="nats")
publish("entropy.mvn.h_independent", float(np.sum(genmath.gaussian_entropy(np.sqrt(np.diag(cov))))),
        unit="nats")
rho = publish("entropy.mvn.rho", 0.9)
h_pair = genmath.mvn_entropy(np.array([[1.0, rho], [rho, 1.0]]))
mi = publish("entropy.mvn.mi", 2 * genmath.gaussian_entropy(1.0) - h_pair, unit="nats")  # h(X1) + h(X2) - h(X1, X2)
assert abs(mi - (-0.5 * math.log(1 - rho**2))) < 1e-12

# 3. Change of variables: Y = exp(X) with X ~ N(mu, 1) is log-normal; h(Y) = h(X) + E[X] = h(X) + mu
mu = publish("entropy.cov.mu", 0.5)
h_lognormal = publish("entropy.cov.h_lognormal", scipy.stats.lognorm(1.0, scale=math.exp(mu)).entropy(),
                      unit="nats")
publish("entropy.cov.h_x", genmath.gaussian_entropy(1.0), unit="nats")
assert abs(h_lognormal - (genmath.gaussian_entropy(1.0) + mu)) < 1e-12
# a linear map Y = A X in the plane: h(Y) - h(X) = log |det A|
A = np.array([[2.0, 1.0], [0.5, 1.5]])
cov_x = np.array([[1.0, 0.3], [0.3, 0.5]])
gain = publish("entropy.cov.linear_gain", genmath.mvn_entropy(A @ cov_x @ A.T) - genmath.mvn_entropy(cov_x),
               unit="nats")
publish("entropy.cov.log_det_a", math.log(abs(np.linalg.det(A))), unit="nats")
assert abs(gain - math.log(abs(np.linalg.det(A)))) < 1e-12
