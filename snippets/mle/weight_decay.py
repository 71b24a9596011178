"""A Gaussian prior on the weights is weight decay: MAP = ridge = gradient descent with weight_decay."""

import numpy as np

from genmath.mle import fit_linear_regression_weight_decay, ridge_map
from genmath.snippet import publish, table

rng = np.random.default_rng(5)
n, d = publish("mle.wd.n", 30), publish("mle.wd.d", 8)
sigma, tau = publish("mle.wd.sigma", 1.0), publish("mle.wd.tau", 0.5)
X = rng.normal(size=(n, d))
w_true = rng.normal(0.0, tau, size=d)
y = X @ w_true + rng.normal(0.0, sigma, size=n)

w_mle = np.linalg.lstsq(X, y, rcond=None)[0]  # least squares = Gaussian MLE
w_map = ridge_map(X, y, sigma, tau)
weight_decay = publish("mle.wd.weight_decay", 1.0 / (n * tau**2))  # for a loss averaged over the n examples
lam = publish("mle.wd.lambda", sigma**2 / tau**2)
path = fit_linear_regression_weight_decay(X, y, sigma, weight_decay, lr=0.2, steps=600)
w_gd = path[-1]
plain = fit_linear_regression_weight_decay(X, y, sigma, 0.0, lr=0.2, steps=600)[-1]

publish("mle.wd.gd_vs_map", np.abs(w_gd - w_map).max())
publish("mle.wd.plain_vs_mle", np.abs(plain - w_mle).max())
publish("mle.wd.norm_mle", np.linalg.norm(w_mle))
publish("mle.wd.norm_map", np.linalg.norm(w_map))
assert np.abs(w_gd - w_map).max() < 1e-9 and np.abs(plain - w_mle).max() < 1e-9
assert np.linalg.norm(w_map) < np.linalg.norm(w_mle)

# when the weights really are drawn from the prior, the MAP estimate is closer to them on average:
# redraw (w, y) many times with the same X
reps = publish("mle.wd.reps", 4000)
err = {"mle": np.empty(reps), "map": np.empty(reps)}
for r in range(reps):
    w = rng.normal(0.0, tau, size=d)
    yr = X @ w + rng.normal(0.0, sigma, size=n)
    err["mle"][r] = np.sum((np.linalg.lstsq(X, yr, rcond=None)[0] - w) ** 2)
    err["map"][r] = np.sum((ridge_map(X, yr, sigma, tau) - w) ** 2)
rows = []
for key, label in (("mle", "MLE (least squares; GD without decay)"),
                   ("map", f"MAP, prior $\\mathcal{{N}}(0, {tau:g}^2 I)$ (ridge; GD with weight decay {weight_decay:.4g})")):
    m, se = err[key].mean(), err[key].std(ddof=1) / np.sqrt(reps)
    publish(f"mle.wd.sq_err_{key}", m)
    publish(f"mle.wd.sq_err_{key}_se", se)
    rows.append([label, np.linalg.norm(w_mle if key == "mle" else w_map),
                 np.abs((plain - w_mle) if key == "mle" else (w_gd - w_map)).max(), f"{m:.4f} ± {se:.4f}"])
diff = err["mle"] - err["map"]
assert diff.mean() > 4 * diff.std(ddof=1) / np.sqrt(reps), "the MAP estimate has the smaller mean squared error"
table(["", "‖ŵ‖ (first data set)", "max |GD − closed form|", "E‖ŵ − w‖² over redraws (± s.e.)"], rows, fmt=".4g")
