"""A VAE with a 2-D latent space trained on the 8x8 digits (binarised), deterministically, on one
CPU thread. Everything is in nats per image (64 binary pixels)."""

import matplotlib.pyplot as plt
import numpy as np
import torch

from genmath.figures import apply_style, subplots
from genmath.snippet import figure, publish
from genmath.vae import load_digits_data, train_vae, vae_iwae_bound

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
result = train_vae(data.train_x, test_x=data.test_x, latent_dim=latent_dim, hidden_dim=hidden_dim,
                   epochs=epochs, batch_size=64, lr=2e-3, seed=0)
model = result.model
publish("vae.train.elbo", result.elbo[-1], unit="nats")
publish("vae.train.rec", result.reconstruction[-1], unit="nats")
publish("vae.train.kl", result.kl[-1], unit="nats")
publish("vae.train.test_elbo", result.test_elbo[-1], unit="nats")
publish("vae.train.elbo_first", result.elbo[0], unit="nats")
publish("vae.train.kl_dim1", result.kl_per_dim[0], unit="nats")
publish("vae.train.kl_dim2", result.kl_per_dim[1], unit="nats")

# Independent-pixel baseline: the best model that ignores z, Bernoulli(pixel mean), in nats per image
p = np.clip(data.train_x.mean(axis=0), 1e-3, 1 - 1e-3)
baseline = (data.test_x * np.log(p) + (1 - data.test_x) * np.log1p(-p)).sum(axis=1).mean()
publish("vae.train.baseline_test", baseline, unit="nats")

# a tighter estimate of the test log-likelihood with the importance-weighted bound
iwae = {K: publish(f"vae.train.test_iwae_k{K}", np.mean(vae_iwae_bound(model, data.test_x, K, seed=1)),
                   unit="nats") for K in (1, 100, 1000)}
publish("vae.train.iwae_gain", iwae[1000] - iwae[1], unit="nats")

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
       alt=f"Training curves over {epochs} epochs: the ELBO rises from {result.elbo[0]:.1f} to "
           f"{result.elbo[-1]:.1f} nats per image (test {result.test_elbo[-1]:.1f}); the KL term grows to "
           f"{result.kl[-1]:.2f} nats.")

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


a, b = typical(0), typical(7)
path = np.linspace(0, 1, 9)[:, None] * (mu_all[b] - mu_all[a]) + mu_all[a]
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
