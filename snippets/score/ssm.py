"""Sliced score matching (Song, Garg, Shi & Ermon 2019) against denoising score matching on the ring:
the same network trained three ways, each scored on held-out data against the exact score of the ring,
and by Hyvarinen's objective with the exact trace."""

import numpy as np
import torch

from genmath import cached_train_score_net, implicit_score_matching_loss, net_score, ring_mixture, ring_score
from genmath.snippet import claim, pm, publish, table

torch.set_num_threads(1)
data = ring_mixture(8192, seed=0)  # as in the NCSN snippet
test = ring_mixture(4000, seed=1)
steps, batch, lr = 2000, 256, 1e-2
publish("score.ssm.iterations", steps)
runs = {
    "ssm_vr": {"objective": "ssm_vr"},
    "dsm_small": {"objective": "dsm", "sigmas": [0.02]},
    "dsm_large": {"objective": "dsm", "sigmas": [0.1]},
}
publish("score.ssm.sigma_small", 0.02)
publish("score.ssm.sigma_large", 0.1)
true = ring_score(test)  # the clean data's score, sigma = 0
ref = (true**2).sum(1)
publish("score.ssm.fisher_info", ref.mean(), se=ref.std(ddof=1) / np.sqrt(ref.size))
labels = {"ssm_vr": "SSM-VR", "dsm_small": r"DSM, $\sigma = 0.02$", "dsm_large": r"DSM, $\sigma = 0.1$"}
rows, fisher, isms = [], {}, {}
for key, kw in runs.items():
    trained = cached_train_score_net(data, steps=steps, batch_size=batch, lr=lr, hidden=64, seed=0, **kw)
    sigma = None if kw.get("sigmas") is None else kw["sigmas"][0]
    s = net_score(trained, test, sigma)
    err = 0.5 * ((s - true) ** 2).sum(1)  # Fisher divergence to the clean score, per point
    f, f_se = err.mean(), err.std(ddof=1) / np.sqrt(err.size)
    fisher[key] = f
    # Hyvarinen's objective with the exact trace (2 backward passes): equals the Fisher divergence minus
    # half the data's Fisher information, E_p ||grad log p||^2 / 2, a constant that needs the true score
    if sigma is None:
        model = trained.model
    else:
        def model(x, m=trained.model, sg=sigma):
            return m(x, torch.full((x.shape[0],), sg, dtype=x.dtype))
    ism_values = implicit_score_matching_loss(model, torch.as_tensor(test), reduce=False).numpy()
    ism, ism_se = ism_values.mean(), ism_values.std(ddof=1) / np.sqrt(ism_values.size)
    publish(f"score.ssm.{key}.fisher", f, se=f_se)
    publish(f"score.ssm.{key}.ism", ism, se=ism_se)
    isms[key] = ism
    rows.append([labels[key], pm(f, f_se), pm(ism, ism_se)])
table(["objective", r"$\tfrac12\mathbb{E}_p\lVert s_\theta - \nabla\log p\rVert^2$",
       r"$J_{\mathrm{ISM}}(\theta)$ (exact trace)"],
      rows, fmt=["", "", ""],
      caption="The same network trained three ways on the ring; errors on 4000 held-out points against the exact score")
claim(fisher["ssm_vr"] < fisher["dsm_large"] < fisher["dsm_small"],
      "sliced score matching has the smallest error against the clean score, DSM at the small noise level the largest")
claim(sorted(fisher, key=fisher.get) == sorted(isms, key=isms.get),
      "Hyvarinen's objective, computable without the true score, ranks the three networks as the true error does")
# DSM at sigma learns grad log p_sigma: for the ring, about (std^2 / (std^2 + sigma^2)) times the clean score
# near each mode, a bias of 1/2 (1 - std^2/(std^2+sigma^2))^2 E||grad log p||^2 in the Fisher divergence
bias = 0.5 * (1 - 0.01 / (0.01 + 0.1**2)) ** 2 * ref.mean()
publish("score.ssm.dsm_large.bias", bias, se=0.5 * (1 - 0.01 / 0.02) ** 2 * ref.std(ddof=1) / np.sqrt(ref.size))
claim(abs(fisher["dsm_large"] - bias) < 0.1 * bias, "at sigma = 0.1 the error of DSM is mostly its bias")
# why DSM struggles at small sigma: the target -(x~ - x)/sigma^2 = -eta/sigma has E||.||^2 = D/sigma^2, of
# which only E||grad log p_sigma||^2 is signal (the rest is the irreducible noise of the regression)
sig = 0.02
x_noisy = test + sig * np.random.default_rng(4).standard_normal(test.shape)
signal = (ring_score(x_noisy, sig) ** 2).sum(1)
publish("score.ssm.dsm_small.signal_fraction", signal.mean() * sig**2 / 2,
        se=signal.std(ddof=1) / np.sqrt(signal.size) * sig**2 / 2)
