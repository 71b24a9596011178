"""Closed-form scores of a Gaussian and of a 2-D Gaussian mixture, checked against torch autograd."""

import numpy as np
import torch

from genmath.figures import subplots
from genmath.score import gaussian_score, mixture_log_prob, mixture_responsibilities, mixture_score
from genmath.snippet import figure, publish

torch.set_num_threads(1)

weights = np.array([0.3, 0.7])
means = np.array([[-1.5, 0.0], [1.5, 0.5]])
covs = np.array([[[0.5, 0.2], [0.2, 0.4]], [[0.6, -0.25], [-0.25, 0.5]]])
x = np.array([[0.2, 0.9]])

score_x = mixture_score(x, weights, means, covs)[0]
resp = mixture_responsibilities(x, weights, means, covs)[0]
publish("score.mix.s1", score_x[0])
publish("score.mix.s2", score_x[1])
publish("score.mix.r1", resp[0])
publish("score.mix.r2", resp[1])

# the same gradient by automatic differentiation of torch's mixture log-density
t = lambda a: torch.tensor(a, dtype=torch.float64)
mix = torch.distributions.MixtureSameFamily(torch.distributions.Categorical(probs=t(weights)),
                                            torch.distributions.MultivariateNormal(t(means), t(covs)))
x_t = t(x).requires_grad_(True)
(grad,) = torch.autograd.grad(mix.log_prob(x_t).sum(), x_t)
publish("score.mix.autograd_diff", float(np.abs(grad.numpy()[0] - score_x).max()))


fig, ax = subplots(figsize=(5.6, 4.0))
g = np.linspace(-3.5, 3.5, 141)
gx, gy = np.meshgrid(g, g)
grid = np.stack([gx.ravel(), gy.ravel()], -1)
ax.contour(gx, gy, np.exp(mixture_log_prob(grid, weights, means, covs)).reshape(gx.shape), levels=8,
           linewidths=0.8)
q = np.linspace(-3, 3, 15)
qx, qy = np.meshgrid(q, q)
arrows = mixture_score(np.stack([qx.ravel(), qy.ravel()], -1), weights, means, covs)
norm = np.linalg.norm(arrows, axis=-1, keepdims=True)
unit = arrows / np.maximum(norm, 1e-12)
ax.quiver(qx.ravel(), qy.ravel(), unit[:, 0], unit[:, 1], np.log1p(norm[:, 0]), cmap="viridis", scale=22,
          width=0.004)
ax.plot(*x[0], marker="o", color="C3")
ax.set_aspect("equal")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
figure(fig, "score.mix.field",
       alt="Contour lines of a two-component Gaussian mixture in the plane, with arrows of the score on a grid: "
           "every arrow points uphill towards the nearer mode, arrows far from the modes are the longest "
           "(shown by colour), and between the modes they turn towards one mode or the other.",
       caption="A 2-D Gaussian mixture (contours) and the direction of its score ∇ log p(x) (arrows; colour: "
               "log(1 + |score|)). The red dot is the point where the score is evaluated in the text.")
