"""A VAE with a 2-D latent space trained on the 8x8 digits (binarised), deterministically, on one
CPU thread. Everything is in nats per image (64 binary pixels)."""

import matplotlib.pyplot as plt
import numpy as np
import torch

from genmath.figures import apply_style, subplots
from genmath.snippet import claim, figure, publish
from genmath.vae import cached_train_vae, load_digits_data, vae_iwae_bound

torch.set_num_threads(1)
apply_style()
data = load_digits_data()                        # binarised, 1500 train / 297 test images
publish("vae.train.n_train", len(data.train_x))
publish("vae.train.n_test", len(data.test_x))
publish("vae.train.n_total", len(data.train_x) + len(data.test_x))
publish("vae.train.pixel_mean", data.train_x.mean())
epochs, latent_dim, hidden_dim = 60, 2, 128
publish("vae.train.epochs", epochs)
publish("vae.train.latent_dim", latent_dim)
publish("vae.train.hidden_dim", hidden_dim)
# train_vae through an on-disk memo: vae/inference_gap.py loads the same weights, not retrain
result = cached_train_vae(data.train_x, test_x=data.test_x, latent_dim=latent_dim, hidden_dim=hidden_dim,
                          epochs=epochs, batch_size=64, lr=2e-3, seed=0)
model = result.model


def mc_terms(x, draws=64, seed=100):
    """The final model's ELBO terms averaged over `draws` independent noise draws per image, with the
    Monte Carlo standard error of that average (nats per image; the KL term is in closed form)."""
    x_t = torch.from_numpy(x)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        runs = [model.elbo_terms(x_t, gen) for _ in range(draws)]
    out = {}
    for key in ("elbo", "reconstruction", "kl"):
        per = torch.stack([r[key] for r in runs]).numpy()            # (draws, images)
        # variance over the noise, per image, averaged over images; the mean has draws * images terms
        out[key] = (per.mean(), np.sqrt(per.var(axis=0, ddof=1).mean() / per.size))
    out["kl_per_dim"] = runs[0]["kl_per_dim"].mean(0).numpy()         # closed form: no noise
    return out


train_terms, test_terms = mc_terms(data.train_x), mc_terms(data.test_x)
publish("vae.train.elbo", train_terms["elbo"][0], unit="nats", se=train_terms["elbo"][1])
publish("vae.train.rec", train_terms["reconstruction"][0], unit="nats", se=train_terms["reconstruction"][1])
publish("vae.train.kl", train_terms["kl"][0], unit="nats")
publish("vae.train.test_elbo", test_terms["elbo"][0], unit="nats", se=test_terms["elbo"][1])
publish("vae.train.elbo_first", result.elbo[0], unit="nats")  # the first epoch's one-draw evaluation
kl1, kl2 = publish("vae.train.kl_dim1", train_terms["kl_per_dim"][0], unit="nats"), \
    publish("vae.train.kl_dim2", train_terms["kl_per_dim"][1], unit="nats")
claim(abs(kl1 - kl2) < 0.15 * (kl1 + kl2), "the KL term is split almost evenly between the two latent dimensions")

# Independent-pixel baseline: the best model that ignores z, Bernoulli(pixel mean), in nats per image
p = np.clip(data.train_x.mean(axis=0), 1e-3, 1 - 1e-3)
baseline = (data.test_x * np.log(p) + (1 - data.test_x) * np.log1p(-p)).sum(axis=1).mean()
publish("vae.train.baseline_test", baseline, unit="nats")
claim(test_terms["elbo"][0] > baseline + 1, "the VAE's test ELBO is well above the independent-pixel model")

# a tighter estimate of the test log-likelihood with the importance-weighted bound; two independent
# evaluations give the Monte Carlo standard error of the average over the test images
K = publish("vae.train.iwae_k", 1000)
runs = [vae_iwae_bound(model, data.test_x, K, seed=seed) for seed in (1, 2)]
iwae = np.mean(runs, axis=0)
iwae_se = np.sqrt(np.mean((runs[0] - runs[1]) ** 2 / 2) / (2 * len(iwae)))
publish("vae.train.test_iwae", iwae.mean(), unit="nats", se=iwae_se)
gain_se = np.hypot(iwae_se, test_terms["elbo"][1])
gain = publish("vae.train.iwae_gain", iwae.mean() - test_terms["elbo"][0], unit="nats", se=gain_se)
claim(gain > 3 * gain_se, "the importance-weighted bound is tighter than the ELBO on the test set")

# --- training curves
ep = np.arange(1, epochs + 1)
fig, (ax1, ax2) = subplots(1, 2, figsize=(8.0, 3.2))
ax1.plot(ep, result.elbo, label="ELBO (train)")
ax1.plot(ep, result.test_elbo, label="ELBO (test)")
ax1.plot(ep, result.reconstruction, label=r"reconstruction $\mathbb{E}_q \log p(x\mid z)$", linestyle="--")
ax1.set(xlabel="epoch", ylabel="nats per image", title="ELBO = reconstruction − KL")
ax1.legend(fontsize=8)
ax2.plot(ep, result.kl, color="C3", label=r"$\mathrm{KL}(q(z\mid x)\,\|\,p(z))$, total")
ax2.set(xlabel="epoch", ylabel="nats per image", title="KL term (the rate)")
ax2.legend(fontsize=8)
figure(fig, "vae.train.curves",
       alt="Training curves over {{ vae.train.epochs }} epochs: the ELBO rises from "
           "{{ vae.train.elbo_first:.0f }} to {{ vae.train.elbo:.1f }} nats per image (test "
           "{{ vae.train.test_elbo:.1f }} nats); the KL term grows to {{ vae.train.kl:.2f }} nats.")

# --- reconstructions of test digits (decoder mean at the encoder mean)
shown = [int(np.flatnonzero(data.test_y == digit)[0]) for digit in range(10)]   # one per class
with torch.no_grad():
    mu, logvar = model.encode(torch.from_numpy(data.test_x[shown]))
    recon = model.decode_mean(mu).numpy()
fig, axes = subplots(2, 10, figsize=(7.0, 1.7), layout=None)
for i, j in enumerate(shown):
    for row, img in enumerate((data.test_x[j], recon[i])):
        axes[row, i].imshow(img.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        axes[row, i].axis("off")
fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01, wspace=0.08, hspace=0.08)
figure(fig, "vae.train.recon",
       alt="One binarised test digit of each class 0 to 9 (top row) and their reconstructions (bottom row): "
           "pixel "
           "probabilities of the decoder at the encoder mean; shapes are kept, details blurred.")

# --- samples from the prior: z ~ N(0, I), show the decoder's pixel probabilities
gen = torch.Generator().manual_seed(0)
with torch.no_grad():
    z = torch.randn(30, latent_dim, generator=gen, dtype=torch.float64)
    samples = model.decode_mean(z).numpy()
fig, axes = subplots(3, 10, figsize=(7.0, 2.2), layout=None)
for i, ax in enumerate(axes.flat):
    ax.imshow(samples[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    ax.axis("off")
fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01, wspace=0.08, hspace=0.08)
figure(fig, "vae.train.samples",
       alt="Thirty decoder outputs (pixel probabilities) for latent codes drawn from the prior N(0, I); "
           "most look like digits.")

# --- latent space: encoder means of the test set coloured by class, and an interpolation
with torch.no_grad():
    mu_all, _ = model.encode(torch.from_numpy(data.test_x))
mu_all = mu_all.numpy()


def typical(digit):
    """The test image of a class whose encoding is nearest the class's median encoding."""
    idx = np.flatnonzero(data.test_y == digit)
    centre = np.median(mu_all[idx], axis=0)
    return int(idx[np.argmin(np.sum((mu_all[idx] - centre) ** 2, axis=1))])


# "the encoder means cluster by class": a 5-nearest-neighbour vote among the other test digits
dist = np.sum((mu_all[:, None] - mu_all[None]) ** 2, axis=2)
np.fill_diagonal(dist, np.inf)
votes = data.test_y[np.argsort(dist, axis=1)[:, :5]]
knn = np.mean([np.bincount(v, minlength=10).argmax() == y for v, y in zip(votes, data.test_y)])
publish("vae.train.knn_accuracy", knn, se=np.sqrt(knn * (1 - knn) / len(mu_all)))
claim(knn > 0.5, "the encoder means of the test digits cluster by class")

a, b = typical(0), typical(7)
path = np.linspace(0, 1, 9)[:, None] * (mu_all[b] - mu_all[a]) + mu_all[a]
# the class of the nearest test encoding at each point of the path
crossed = [int(data.test_y[np.argmin(np.sum((mu_all - z) ** 2, axis=1))]) for z in path]
others = sorted(set(crossed) - {0, 7})
publish("vae.train.path_classes", ", ".join(map(str, others)))
claim(others, "the straight path from a 0 to a 7 crosses the regions of other classes")
with torch.no_grad():
    path_images = model.decode_mean(torch.from_numpy(path)).numpy()
fig = plt.figure(figsize=(7.2, 4.8), layout="constrained")
grid = fig.add_gridspec(2, 9, height_ratios=[3.2, 1])
ax = fig.add_subplot(grid[0, :])
sc = ax.scatter(mu_all[:, 0], mu_all[:, 1], c=data.test_y, cmap="tab10", s=9, vmin=-0.5, vmax=9.5)
ax.plot(path[:, 0], path[:, 1], color="C3", marker="o", markersize=3, linewidth=1.5)
fig.colorbar(sc, ax=ax, ticks=range(10), label="digit class")
ax.set(xlabel="$\\mu_1(x)$", ylabel="$\\mu_2(x)$",
       title="Encoder means of the test digits; red: interpolation path")
for i in range(9):
    axi = fig.add_subplot(grid[1, i])
    axi.imshow(path_images[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
    axi.axis("off")
figure(fig, "vae.train.latent",
       alt="Scatter of the 2-D encoder means of the test digits coloured by class, forming clusters, "
           "with a straight path between a 0 and a 7; below, nine decodings along the path morph the 0 "
           "into the 7.")
