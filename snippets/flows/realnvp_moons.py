"""A small RealNVP (6 affine couplings) fitted by maximum likelihood to 2-D two-moons data.

Its exact log-density is integrated numerically over a square (scipy cubature): it must come out 1.
"""

import numpy as np
import torch

from genmath.figures import subplots
from genmath.flows import cached_train_flow, flow_log_prob_numpy, integrate_density_2d, make_realnvp
from genmath.mle import bits_per_dim
from genmath.snippet import claim, figure, publish

torch.set_num_threads(1)
torch.manual_seed(0)



def two_moons(n, rng, noise=0.08):
    """Two interleaved half circles (as sklearn's make_moons) with Gaussian noise of std `noise`."""
    angle = rng.uniform(0, np.pi, n)
    upper = rng.uniform(size=n) < 0.5
    points = np.where(upper[:, None], np.stack([np.cos(angle), np.sin(angle)], 1),
                      np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], 1))
    return points + noise * rng.standard_normal((n, 2))


rng = np.random.default_rng(0)
x_train, x_test = two_moons(4000, rng), two_moons(2000, rng)
shift, scale = x_train.mean(0), x_train.std(0)
x_train, x_test = (x_train - shift) / scale, (x_test - shift) / scale  # standardised coordinates

n_layers = publish("flows.moons.layers", 6)
steps = publish("flows.moons.steps", 600)
flow = make_realnvp(2, n_layers, hidden=32, seed=0)


def held_out_nll(log_p):
    """Mean NLL over the held-out points (nats per point) and its standard error."""
    return float(-log_p.mean()), float(log_p.std(ddof=1) / np.sqrt(log_p.size))


nll_init, nll_init_se = held_out_nll(flow_log_prob_numpy(flow, x_test))  # before any training
history = cached_train_flow(flow, x_train, steps=steps, batch_size=128, lr=3e-3)

nll_train = publish("flows.moons.nll_train", float(-flow_log_prob_numpy(flow, x_train).mean()), unit="nats")
nll_test, nll_se = held_out_nll(flow_log_prob_numpy(flow, x_test))
publish("flows.moons.nll_test", nll_test, unit="nats", se=nll_se)
publish("flows.moons.bpd_test", float(bits_per_dim(nll_test, 2)), unit="bits", se=float(bits_per_dim(nll_se, 2)))
publish("flows.moons.nll_initial", nll_init, unit="nats", se=nll_init_se)
# In the raw coordinates x = shift + scale * x_std the density is divided by the Jacobian prod(scale),
# so every NLL grows by sum(log scale) nats (a change of variables, as in the chapter).
log_scale = float(np.log(scale).sum())
publish("flows.moons.log_scale", log_scale, unit="nats")
publish("flows.moons.nll_test_raw", nll_test + log_scale, unit="nats", se=nll_se)
# baseline: the best single Gaussian, fitted to the training points by maximum likelihood, on the same
# held-out points
mean, cov = x_train.mean(0), np.cov(x_train.T, bias=True)
diff = x_test - mean
log_gauss = -0.5 * (np.einsum("ni,ij,nj->n", diff, np.linalg.inv(cov), diff) + np.log(np.linalg.det(2 * np.pi * cov)))
gauss_nll, gauss_se = held_out_nll(log_gauss)
publish("flows.moons.nll_gaussian", gauss_nll, unit="nats", se=gauss_se)
claim(nll_test + 3 * nll_se < gauss_nll - 3 * gauss_se < nll_init - 3 * nll_init_se,
      "after training the flow beats the best Gaussian, which beats the untrained flow, on held-out points")

half_width = publish("flows.moons.box", 6.0)
total, err = integrate_density_2d(lambda p: flow_log_prob_numpy(flow, p), [-half_width] * 2, [half_width] * 2,
                                  rtol=1e-4)
publish("flows.moons.integral", total)
publish("flows.moons.integral_error_estimate", err)
claim(abs(total - 1) < 1e-3, "the flow's density integrates to 1 over the square (the mass outside is negligible)")
n_shown = publish("flows.moons.n_shown", 800)


def off_the_moons(points):
    """Fraction of points (standardised coordinates) more than 3 noise standard deviations from both arcs."""
    angle = np.linspace(0, np.pi, 2001)
    arcs = np.concatenate([np.stack([np.cos(angle), np.sin(angle)], 1),
                           np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], 1)])
    raw = points * scale + shift
    dist = np.sqrt(((raw[:, None, :] - arcs[None]) ** 2).sum(-1)).min(1)
    return float(np.mean(dist > 3 * 0.08))


with torch.no_grad():
    many = flow.sample(4000).double().numpy()
claim(off_the_moons(many) > 3 * off_the_moons(x_test) + 0.01,
      "the flow leaves a bridge of samples between the moons, where the data have almost none")

fig, (ax_data, ax_model) = subplots(1, 2, figsize=(7.2, 3.3), sharex=True, sharey=True)
g = np.linspace(-2.5, 2.5, 161)
gx, gy = np.meshgrid(g, g)
dens = np.exp(flow_log_prob_numpy(flow, np.stack([gx.ravel(), gy.ravel()], -1))).reshape(gx.shape)
ax_data.scatter(x_test[:n_shown, 0], x_test[:n_shown, 1], s=3, alpha=0.5, label="test data")
ax_data.contour(gx, gy, dens, levels=6, linewidths=0.8)
ax_data.set_title("test data and model density")
with torch.no_grad():
    samples = flow.sample(n_shown).double().numpy()
ax_model.scatter(samples[:, 0], samples[:, 1], s=3, alpha=0.5, color="C1")
ax_model.set_title("samples x = f(z)")
for ax in (ax_data, ax_model):
    ax.set_xlim(-2.5, 2.5)
    ax.set_ylim(-2.5, 2.5)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
ax_data.set_ylabel("$x_2$")
figure(fig, "flows.moons.figure",
       alt="Left: held-out two-moons points with contour lines of the RealNVP density, which follow the two "
           "crescents. Right: {{ flows.moons.n_shown }} samples from the flow, forming two crescents with a "
           "thin bridge of samples between them.",
       caption="A {{ flows.moons.layers }}-layer RealNVP after maximum-likelihood training (standardised coordinates).")
