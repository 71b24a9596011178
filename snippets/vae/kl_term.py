"""The VAE's KL term in closed form, checked three ways: kl_std_normal, a sum of univariate
kl_normal terms, and torch.distributions."""

import numpy as np
import torch

from genmath import kl_normal
from genmath.snippet import publish, table
from genmath.vae import kl_std_normal

torch.set_num_threads(1)
mu = np.array([0.0, 1.0, -2.0, 0.5])
logvar = np.array([0.0, 0.0, np.log(0.25), np.log(4.0)])
per_dim = kl_std_normal(mu[:, None], logvar[:, None])        # one latent dimension per row
total = publish("vae.klterm.total", kl_std_normal(mu, logvar), unit="nats")
by_kl_normal = np.sum(kl_normal(mu, np.exp(0.5 * logvar), 0.0, 1.0))
by_torch = torch.distributions.kl_divergence(
    torch.distributions.Normal(torch.tensor(mu), torch.tensor(np.exp(0.5 * logvar))),
    torch.distributions.Normal(0.0, 1.0)).sum().item()
table(["$j$", r"$\mu_j$", r"$\sigma_j^2$", r"$\mathrm{KL}_j$ (nats)"],
      [[j + 1, mu[j], np.exp(logvar[j]), per_dim[j]] for j in range(len(mu))], fmt=".4g")
for j in range(len(mu)):
    publish(f"vae.klterm.dim{j + 1}", per_dim[j], unit="nats")
publish("vae.klterm.diff_kl_normal", abs(total - by_kl_normal), unit="nats")
publish("vae.klterm.diff_torch", abs(total - by_torch), unit="nats")

# the torch path is differentiable: dKL/dmu = mu, dKL/dlogvar = (exp(logvar) - 1)/2
mu_t = torch.tensor(mu, requires_grad=True)
logvar_t = torch.tensor(logvar, requires_grad=True)
kl_std_normal(mu_t, logvar_t).backward()
publish("vae.klterm.grad_err", max(np.max(np.abs(mu_t.grad.numpy() - mu)),
                                   np.max(np.abs(logvar_t.grad.numpy() - 0.5 * (np.exp(logvar) - 1)))))
