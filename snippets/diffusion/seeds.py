"""The small DDPM of diffusion/train.py retrained with other seeds: how much of the mass near the
modes is a property of the method, and how much of one training run? Same data, schedule, network
and optimiser; only the training seed (initialisation, minibatches, noise) changes. Sampling uses the
same seeds as diffusion/train.py, so the seed-0 row repeats its numbers (and reuses its trained network:
`cached_train_ddpm` keeps one copy of each training run's weights for every snippet)."""

import numpy as np
import torch

from genmath import (
    cached_train_ddpm,
    ddpm_sample,
    ring_mixture,
    ring_near_fraction,
    ring_near_probability,
    scaled_linear_betas,
)
from genmath.snippet import claim, pm, publish, table

torch.set_num_threads(1)
T, steps, batch, lr, hidden = 100, 2000, 1024, 8e-3, 64  # as in diffusion/train.py
betas = scaled_linear_betas(T)
data = ring_mixture(8192, seed=0)
n_near = 10_000
seeds = [0, 1, 2]
publish("diffusion.seeds.n_seeds", len(seeds))

near = {"beta": [], "beta_tilde": []}
for seed in seeds:
    trained = cached_train_ddpm(data, betas, steps=steps, batch_size=batch, lr=lr, hidden=hidden, seed=seed)
    for kind, sample_seed in (("beta", 6), ("beta_tilde", 7)):
        near[kind].append(ring_near_fraction(ddpm_sample(trained, n_near, kind=kind, seed=sample_seed)[0]))


def se(f):
    """Binomial standard error of a fraction of n_near samples."""
    return float(np.sqrt(f * (1 - f) / n_near))


table(["training seed", r"near a mode, $\sigma_t^2 = \beta_t$", r"near a mode, $\sigma_t^2 = \tilde\beta_t$"],
      [[seed, pm(a, se(a)), pm(b, se(b))] for seed, a, b in zip(seeds, near["beta"], near["beta_tilde"])],
      caption=f"Fraction of {n_near} ancestral samples within 0.25 of a mixture mean (± one standard error)")
data_near = ring_near_probability()
for kind, values in near.items():
    values = np.array(values)
    publish(f"diffusion.seeds.{kind}.min", values.min(), se=se(values.min()))
    publish(f"diffusion.seeds.{kind}.max", values.max(), se=se(values.max()))
    spread = publish(f"diffusion.seeds.{kind}.sd", values.std(ddof=1))  # across training seeds
    claim(spread > 2 * se(values.mean()),
          f"the spread over training seeds ({kind}) is larger than the sampling standard error")
    claim(values.max() < data_near, f"every seed's {kind} sampler puts less mass near the modes than the data")
claim(all(a < b for a, b in zip(near["beta"], near["beta_tilde"])),
      "for every training seed the beta_tilde sampler puts more mass near the modes than the beta sampler")
