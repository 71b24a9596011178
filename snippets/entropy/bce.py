"""Binary cross-entropy: the GAN discriminator's loss, from logits, naive versus stable."""

import math

import numpy as np
import scipy.special
import torch

import genmath
from genmath.snippet import publish, table

torch.set_num_threads(1)

# A discriminator's logits z = logit D(x) on three data points (label 1) and three generated ones (label 0)
z_real = np.array([2.0, 0.5, -0.3])
z_fake = np.array([-1.5, 0.2, -3.0])
loss_real = genmath.binary_cross_entropy_with_logits(z_real, np.ones(3))   # E_data[-log D(x)]
loss_fake = genmath.binary_cross_entropy_with_logits(z_fake, np.zeros(3))  # E_g[-log(1 - D(x))]
publish("entropy.bce.loss_real", loss_real, unit="nats")
publish("entropy.bce.loss_fake", loss_fake, unit="nats")
loss_d = publish("entropy.bce.loss_d", loss_real + loss_fake, unit="nats")
value = np.mean(np.log(scipy.special.expit(z_real))) + np.mean(np.log(1 - scipy.special.expit(z_fake)))
publish("entropy.bce.value", value, unit="nats")  # the value V(D, G) on this batch
assert abs(loss_d + value) < 1e-12, "the discriminator's loss is -V(D, G)"
torch_loss = torch.nn.functional.binary_cross_entropy_with_logits(
    torch.tensor(np.concatenate([z_real, z_fake])), torch.tensor([1.0, 1, 1, 0, 0, 0], dtype=torch.float64)).item()
publish("entropy.bce.torch_mean", torch_loss, unit="nats")
assert abs(torch_loss - (loss_real + loss_fake) / 2) < 1e-12

# A confident mistake: logit 40 on a generated sample. sigmoid(40) rounds to 1 in float64.
z, y = 40.0, 0.0
with np.errstate(divide="ignore"):  # log(1 - 1) = -inf
    naive = float(-(y * np.log(scipy.special.expit(z)) + (1 - y) * np.log(1.0 - scipy.special.expit(z))))
stable = genmath.binary_cross_entropy_with_logits(z, y)
publish("entropy.bce.naive_40", naive, unit="nats")
publish("entropy.bce.stable_40", stable, unit="nats")
assert math.isinf(naive) and abs(stable - 40.0) < 1e-12
table(["logit z", "label y", "naive form (nats)", "softplus form (nats)"],
      [[zz, yy, float(-np.log(scipy.special.expit(zz)) if yy else -np.log(1 - scipy.special.expit(zz))),
        genmath.binary_cross_entropy_with_logits(zz, yy)] for zz, yy in ((2.0, 1.0), (-3.0, 0.0), (30.0, 0.0))],
      fmt=".6g")
