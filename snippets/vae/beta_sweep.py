"""A beta sweep on the 8x8 digits: rate R = KL(q(z|x) || p(z)) against distortion
D = -E_q log p(x|z), both in nats per image, and posterior collapse at large beta."""

import itertools

import numpy as np
import torch

from genmath.figures import subplots
from genmath.snippet import claim, figure, publish, table
from genmath.vae import cached_train_vae, latent_activity, load_digits_data

torch.set_num_threads(1)
data = load_digits_data()
betas = [0.5, 1.0, 2.0, 4.0]
latent_dim, epochs = 8, 20
publish("vae.beta.latent_dim", latent_dim)
publish("vae.beta.epochs", epochs)
rows, rates, distortions, per_dim, seconds = [], [], [], [], 0.0
for beta in betas:
    result = cached_train_vae(data.train_x, test_x=data.test_x, latent_dim=latent_dim, hidden_dim=128,
                              epochs=epochs, beta=beta, seed=0)
    seconds += result.seconds
    rate, distortion = result.kl[-1], -result.reconstruction[-1]
    activity = latent_activity(result.model, data.train_x)
    active = int(np.sum(activity > 0.01))           # "active units", Burda et al. (2016)
    key = f"b{beta:g}".replace(".", "_")
    publish(f"vae.beta.{key}.rate", rate, unit="nats")
    publish(f"vae.beta.{key}.distortion", distortion, unit="nats")
    publish(f"vae.beta.{key}.elbo", result.elbo[-1], unit="nats")
    publish(f"vae.beta.{key}.test_elbo", result.test_elbo[-1], unit="nats")
    publish(f"vae.beta.{key}.active", active)
    publish(f"vae.beta.{key}.kl_max_dim", result.kl_per_dim.max(), unit="nats")
    publish(f"vae.beta.{key}.kl_min_dim", result.kl_per_dim.min(), unit="nats")
    rates.append(rate)
    distortions.append(distortion)
    per_dim.append(np.sort(result.kl_per_dim)[::-1])
    rows.append([beta, rate, distortion, result.elbo[-1], result.test_elbo[-1], active,
                 " ".join(f"{v:.2f}" for v in np.sort(result.kl_per_dim)[::-1])])
table([r"$\beta$", "rate $R$ (nats)", "distortion $D$ (nats)", "ELBO $= -(D + R)$ (nats)", "test ELBO (nats)",
       f"active units (of {latent_dim})", "KL per latent dim, sorted (nats)"], rows, fmt=".3f")
best = int(np.argmax([-(d + r) for d, r in zip(distortions, rates)]))
publish("vae.beta.best_beta", betas[best])
publish("vae.beta.beta_min", betas[0])
publish("vae.beta.beta_max", betas[-1])
# the independent-pixel model (Bernoulli with the training pixel means), the z-free baseline
p_pix = np.clip(data.train_x.mean(axis=0), 1e-3, 1 - 1e-3)
baseline = (data.test_x * np.log(p_pix) + (1 - data.test_x) * np.log1p(-p_pix)).sum(axis=1).mean()
publish("vae.beta.baseline_test", baseline, unit="nats")

kl = {beta: np.sort(d)[::-1] for beta, d in zip(betas, per_dim)}
results = dict(zip(betas, rows))
claim(betas[best] == 1.0, "beta = 1 has the best ELBO of the sweep")
claim(all(a > b for a, b in itertools.pairwise(rates)) and all(a < b for a, b in itertools.pairwise(distortions)),
      "as beta grows the rate falls and the distortion rises")
claim(kl[1.0].min() > 0.1, "at beta = 1 every latent dimension is in use")
claim(kl[2.0].min() < 0.01 and kl[2.0].max() > 0.5, "at beta = 2 the collapse is partial")
claim(kl[4.0].max() < 0.05, "at beta = 4 the collapse is complete: no dimension carries more than a few "
                            "hundredths of a nat")
claim(abs(results[4.0][4] - baseline) < 1.0, "at beta = 4 the test ELBO is close to the independent-pixel model")
claim(results[4.0][5] > 0, "the active-units count still calls some dimensions active at beta = 4")

fig, (ax1, ax2) = subplots(1, 2, figsize=(8.4, 3.4))
ax1.plot(rates, distortions, marker="o", color="C0")
for beta, r, d in zip(betas, rates, distortions):
    ax1.annotate(f"β = {beta:g}", (r, d), textcoords="offset points", xytext=(5, 4), fontsize=8)
r_line = np.linspace(0, max(rates) * 1.05, 50)
elbo_best = distortions[betas.index(1.0)] + rates[betas.index(1.0)]
ax1.plot(r_line, elbo_best - r_line, linestyle=":", color="C3", label="D + R = −ELBO at β = 1")
ax1.set(xlabel="rate R = KL(q(z|x) ‖ p(z)) (nats)", ylabel="distortion D = −E log p(x|z) (nats)",
        title="Rate–distortion, 8-D latent")
ax1.legend(fontsize=8)
width = 0.8 / len(betas)
for i, (beta, kl) in enumerate(zip(betas, per_dim)):
    offset = (i - len(betas) / 2 + 0.5) * width
    ax2.bar(np.arange(latent_dim) + offset, kl, width=width, label=f"β = {beta:g}")
ax2.set(xlabel="latent dimension (sorted by KL)", ylabel="KL per dimension (nats)",
        title="Posterior collapse as β grows", xticks=range(latent_dim),
        xticklabels=[str(j + 1) for j in range(latent_dim)])
ax2.legend(fontsize=8)
figure(fig, "vae.beta.rd",
       alt="Left: distortion against rate for beta from {{ vae.beta.beta_min:g }} to {{ vae.beta.beta_max:g }}; "
           "as beta grows the rate falls from {{ vae.beta.b0_5.rate:.1f }} to {{ vae.beta.b4.rate:.2f }} nats "
           "and the distortion rises from {{ vae.beta.b0_5.distortion:.1f }} to {{ vae.beta.b4.distortion:.1f }} "
           "nats. Right: KL of each latent dimension; at large beta every dimension's KL is near zero "
           "(posterior collapse).")
