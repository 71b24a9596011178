"""KL annealing and free bits on the digits VAE with a 16-D latent space, and what each model's code
carries (rate, mutual information, marginal KL; Alemi et al. 2018). Nats per image, training split."""

import math

import numpy as np
import torch

from genmath.figures import subplots
from genmath.snippet import claim, figure, pm, publish, table
from genmath.vae import cached_train_vae, encoder_mutual_information, gaussian_q_elbo, load_digits_data

torch.set_num_threads(1)
data = load_digits_data()
latent_dim, epochs = publish("vae.sched.latent_dim", 16), publish("vae.sched.epochs", 20)
warmup = publish("vae.sched.warmup_epochs", 10)
lam = publish("vae.sched.free_bits", 0.5, unit="nats")
beta_hi = publish("vae.sched.beta", 1.5)
runs = {  # name: (label, keyword arguments of train_vae)
    "plain": ("plain ELBO", {}),
    "anneal": (f"KL annealing over {warmup} epochs", {"kl_warmup_epochs": warmup}),
    "freebits": (f"free bits, $\\lambda = {lam:g}$ nats", {"free_bits": lam}),
    "beta": (f"$\\beta = {beta_hi:g}$", {"beta": beta_hi}),
}
results, rows, stats = {}, [], {}
for key, (label, kwargs) in runs.items():
    result = cached_train_vae(data.train_x, latent_dim=latent_dim, hidden_dim=128, epochs=epochs, seed=0,
                              **kwargs)
    results[key] = result
    elbo, se = gaussian_q_elbo(result.model, data.train_x, draws=16, seed=1)
    elbo_mean, elbo_se = float(elbo.mean()), float(math.sqrt(np.sum(se**2)) / len(elbo))
    info = encoder_mutual_information(result.model, data.train_x, draws=16, seed=2)
    kl = np.sort(result.kl_per_dim)[::-1]
    publish(f"vae.sched.{key}.elbo", elbo_mean, unit="nats", se=elbo_se)
    publish(f"vae.sched.{key}.rate", info.rate, unit="nats")
    publish(f"vae.sched.{key}.distortion", -(elbo_mean + info.rate), unit="nats", se=elbo_se)
    publish(f"vae.sched.{key}.mi", info.mutual_information.estimate, unit="nats",
            se=info.mutual_information.std_error)
    publish(f"vae.sched.{key}.marginal_kl", info.marginal_kl.estimate, unit="nats",
            se=info.marginal_kl.std_error)
    publish(f"vae.sched.{key}.rate_first", result.kl[0], unit="nats")
    publish(f"vae.sched.{key}.kl_min_dim", kl.min(), unit="nats")
    used = publish(f"vae.sched.{key}.used", int(np.sum(kl > 0.05)))
    stats[key] = {"elbo": elbo_mean, "se": elbo_se, "rate": info.rate, "mi": info.mutual_information,
                  "kl": kl, "used": used}
    rows.append([label, pm(elbo_mean, elbo_se), info.rate, pm(-(elbo_mean + info.rate), elbo_se),
                 pm(*info.mutual_information[:2]), pm(*info.marginal_kl[:2]), used])
table(["training", "ELBO (nats)", "rate $R$ (nats)", "distortion $D$ (nats)", "$I_q(x; z)$ (nats)",
       r"$\mathrm{KL}(q(z) \,\|\, p(z))$ (nats)", f"dimensions above 0.05 nats (of {latent_dim})"], rows,
      fmt=[".3f", ".3f", ".2f", ".3f", ".3f", ".3f", ".0f"])
log_n = publish("vae.sched.log_n", math.log(len(data.train_x)), unit="nats")
plain, anneal, fb, hi = (stats[k] for k in ("plain", "anneal", "freebits", "beta"))


def gap(a, b):
    """Difference of two ELBOs and its standard error."""
    return a["elbo"] - b["elbo"], math.hypot(a["se"], b["se"])


d, d_se = gap(anneal, plain)
publish("vae.sched.anneal_gain", d, unit="nats", se=d_se)
claim(d > 3 * d_se, "annealing ends with a better ELBO than plain training")
claim(results["anneal"].kl[0] > 3 * results["plain"].kl[0], "after the first epoch the annealed model's rate is "
      "several times the plain model's")
d, d_se = gap(plain, fb)
publish("vae.sched.freebits_cost", d, unit="nats", se=d_se)
claim(d > 3 * d_se, "free bits cost ELBO")
claim(fb["kl"].min() > 0.8 * lam and plain["kl"].min() < 0.05, "with free bits every dimension carries about "
      "lambda nats or more; without, some carry almost nothing")
claim(fb["rate"] > log_n > fb["mi"].estimate, "the free-bits rate exceeds log n, which bounds the information")
d, d_se = gap(fb, hi)
publish("vae.sched.equal_elbo_diff", abs(d), unit="nats", se=d_se)
publish("vae.sched.equal_rate_diff", fb["rate"] - hi["rate"], unit="nats")
claim(abs(d) < 0.5 and fb["rate"] - hi["rate"] > 4, "the free-bits and beta models have ELBOs within half a "
      "nat but rates more than 4 nats apart")

ep = np.arange(1, epochs + 1)
fig, (ax1, ax2) = subplots(1, 2, figsize=(8.4, 3.4))
for (key, (label, _)), colour in zip(runs.items(), ("C0", "C1", "C2", "C3")):
    ax1.plot(ep, results[key].kl, color=colour, label=label)
    ax2.plot(np.arange(1, latent_dim + 1), stats[key]["kl"], color=colour, marker="o", markersize=3, label=label)
ax1.set(xlabel="epoch", ylabel="rate $R$ (nats)", title="Rate during training")
ax1.legend(fontsize=8)
ax2.axhline(lam, color="C2", linestyle=":", linewidth=1)
ax2.set(xlabel="latent dimension (sorted by KL)", ylabel="KL per dimension (nats)",
        title="Where the rate goes", yscale="log")
figure(fig, "vae.sched.figure",
       alt="Left: the rate after each of {{ vae.sched.epochs }} epochs for plain training, KL annealing, "
           "free bits and beta {{ vae.sched.beta:g }}; the annealed model starts at "
           "{{ vae.sched.anneal.rate_first:.1f }} nats against {{ vae.sched.plain.rate_first:.1f }} nats for plain "
           "training. Right: the KL of each of the {{ vae.sched.latent_dim }} latent dimensions, sorted; with free "
           "bits every dimension sits near {{ vae.sched.free_bits:g }} nats, without them the smallest carries "
           "{{ vae.sched.plain.kl_min_dim:.2f }} nats.")
