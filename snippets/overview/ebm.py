"""A one-dimensional energy-based model, p(x) = exp(-E(x)) / Z, fitted by maximum likelihood with the
exact contrastive gradient and Newton steps (Z and the model expectations by error-checked quadrature)."""

import math

import numpy as np

from genmath.numerics import integrate
from genmath.snippet import claim, publish

rng = np.random.default_rng(0)
n = publish("overview.ebm.n", 2000)
# data: two bumps at -1 and +1 (standard deviation 0.3)
x = np.where(rng.uniform(size=n) < 0.5, -1.0, 1.0) + 0.3 * rng.standard_normal(n)


def features(t):
    """dE/dtheta for E_theta(x) = theta_1 x^4 / 4 - theta_2 x^2 / 2: a double well when theta_2 > 0."""
    return np.array([t ** 4 / 4, -(t ** 2) / 2])


def log_partition(theta):
    """log Z(theta) = log of the integral of exp(-E_theta), by quadrature (nats)."""
    return math.log(integrate(lambda t: math.exp(-theta @ features(t)), name="Z(theta)", loc=[-1.0, 1.0],
                              scale=[0.5, 0.5]))


def model_expectation(theta, g, name):
    """E_{x ~ p_theta}[g(x)] by quadrature."""
    log_z = log_partition(theta)
    return integrate(lambda t: g(t) * math.exp(-theta @ features(t) - log_z), name=name, loc=[-1.0, 1.0],
                     scale=[0.5, 0.5])


def model_mean_features(theta):
    """E_{x ~ p_theta}[dE/dtheta], the 'negative phase'."""
    return np.array([model_expectation(theta, lambda t, k=k: features(t)[k], f"E_p[dE/dtheta_{k + 1}]")
                     for k in range(2)])


def model_feature_covariance(theta):
    """Cov_{p_theta}[dE/dtheta]: minus the Hessian of the mean log-likelihood (an exponential family)."""
    mean = model_mean_features(theta)
    second = np.array([[model_expectation(theta, lambda t, j=j, k=k: features(t)[j] * features(t)[k], "E_p[f f]")
                        for k in range(2)] for j in range(2)])
    return second - np.outer(mean, mean)


data_features = features(x).mean(axis=1)  # E_data[dE/dtheta], the 'positive phase'
theta = np.array([1.0, 0.0])  # a single well at 0 to start
steps = publish("overview.ebm.steps", 12)
for _ in range(steps):  # Newton's method: gradient -E_data[f] + E_p[f], Hessian -Cov_p[f]
    gradient = -data_features + model_mean_features(theta)  # of the mean log-likelihood
    theta = theta + np.linalg.solve(model_feature_covariance(theta), gradient)
publish("overview.ebm.theta1", float(theta[0]))
publish("overview.ebm.theta2", float(theta[1]))
log_z = publish("overview.ebm.log_z", log_partition(theta), unit="nats")
log_p = -(theta @ features(x)) - log_z
publish("overview.ebm.nll", float(-log_p.mean()), unit="nats", se=float(log_p.std(ddof=1) / math.sqrt(n)))
final_gradient = -data_features + model_mean_features(theta)
publish("overview.ebm.grad_norm", float(np.linalg.norm(final_gradient)))
claim(np.linalg.norm(final_gradient) < 1e-4, "at the fitted energy the two phases balance: the gradient vanishes")
claim(theta[1] > 0, "the fitted energy is a double well (theta_2 > 0)")

# the contrastive formula against a finite difference of the exact mean log-likelihood
def mean_log_lik(th):
    return float(-(th @ features(x)).mean() - log_partition(th))


probe = np.array([1.2, 0.8])
step = 1e-5
finite = np.array([(mean_log_lik(probe + step * e) - mean_log_lik(probe - step * e)) / (2 * step) for e in np.eye(2)])
contrastive = -data_features + model_mean_features(probe)
publish("overview.ebm.grad_fd_1", float(finite[0]))
publish("overview.ebm.grad_contrastive_1", float(contrastive[0]))
publish("overview.ebm.grad_gap", float(np.abs(finite - contrastive).max()))
claim(np.abs(finite - contrastive).max() < 1e-6, "the contrastive gradient matches the finite difference")
