"""A Gaussian NLL with fixed sigma is MSE / (2 sigma^2) per observation plus a constant: least squares = MLE."""

import numpy as np

from genmath.mle import gaussian_log_likelihood, gaussian_mle
from genmath.snippet import publish

rng = np.random.default_rng(0)
n = publish("mle.mse.n", 50)
x = rng.uniform(-1.0, 1.0, size=n)
y = 2.0 * x + 1.0 + rng.normal(0.0, 0.5, size=n)  # y = 2x + 1 + noise with sigma = 0.5

# least squares fit of y ~ w x + c
design = np.column_stack([x, np.ones(n)])
(w, c), *_ = np.linalg.lstsq(design, y, rcond=None)
residuals = y - (w * x + c)
publish("mle.mse.w", w)
publish("mle.mse.c", c)

# log N(y_i; yhat_i, sigma^2) = log N(y_i - yhat_i; 0, sigma^2): the NLL of the residuals
sigma = publish("mle.mse.sigma", 0.5)
mse = publish("mle.mse.mse", np.mean(residuals**2))
nll = publish("mle.mse.nll", -gaussian_log_likelihood(residuals, 0.0, sigma), unit="nats")
scaled_mse = publish("mle.mse.scaled_mse", n / (2 * sigma**2) * mse, unit="nats")
constant = publish("mle.mse.constant", n / 2 * np.log(2 * np.pi * sigma**2), unit="nats")
publish("mle.mse.identity_error", abs(nll - (scaled_mse + constant)), unit="nats")

# with sigma free as well, its MLE is the residual MSE (the Gaussian variance MLE of the residuals
# around the fitted line, whose mean is 0 because the fit has an intercept)
_, sigma2_hat = gaussian_mle(residuals)
publish("mle.mse.sigma2_hat", sigma2_hat)
publish("mle.mse.sigma2_hat_minus_mse", abs(sigma2_hat - mse))
