"""Saturating vs non-saturating generator losses and their gradients, as functions of D(G(z))."""
import numpy as np
import scipy.special
import torch

from genmath import gan
from genmath.figures import subplots
from genmath.snippet import figure, publish

torch.set_num_threads(1)

# Early in training D confidently rejects generated samples: D(G(z)) is small.
d_early = 0.01
publish("gan.grad.d_early", d_early)
publish("gan.grad.sat_logit_early", float(gan.saturating_grad_logit(d_early)))
publish("gan.grad.ns_logit_early", float(gan.non_saturating_grad_logit(d_early)))
publish("gan.grad.sat_d_early", float(gan.saturating_grad_d(d_early)))
publish("gan.grad.ns_d_early", float(gan.non_saturating_grad_d(d_early)))
publish("gan.grad.ratio_early",
        float(gan.non_saturating_grad_logit(d_early) / gan.saturating_grad_logit(d_early)))

# Check the closed-form gradients against torch autograd on a grid of D values.
d = np.linspace(0.001, 0.999, 999)
logit = torch.tensor(scipy.special.logit(d), dtype=torch.float64, requires_grad=True)
torch.log1p(-torch.sigmoid(logit)).sum().backward()
err_sat = np.max(np.abs(logit.grad.numpy() - gan.saturating_grad_logit(d)))
logit.grad = None
(-torch.nn.functional.logsigmoid(logit)).sum().backward()
err_ns = np.max(np.abs(logit.grad.numpy() - gan.non_saturating_grad_logit(d)))
publish("gan.grad.autograd_max_error", float(max(err_sat, err_ns)))

fig, (ax_loss, ax_grad) = subplots(1, 2, figsize=(7.6, 3.8))
ax_loss.plot(d, gan.saturating_generator_loss(d), label=r"saturating: $\log(1 - D)$")
ax_loss.plot(d, gan.non_saturating_generator_loss(d), label=r"non-saturating: $-\log D$")
ax_loss.set_ylim(-5, 5)
ax_loss.set_xlabel(r"$D(G(z))$")
ax_loss.set_ylabel("generator loss (nats)")
ax_loss.set_title("(a) losses (minimised by G)", fontsize=10)
ax_loss.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize=8)
ax_grad.plot(d, gan.saturating_grad_logit(d), label=r"saturating: $-D$")
ax_grad.plot(d, gan.non_saturating_grad_logit(d), label=r"non-saturating: $-(1 - D)$")
ax_grad.axvspan(0, 0.1, color="C3", alpha=0.12, linewidth=0)
ax_grad.text(0.015, -0.5, "early\ntraining", rotation=90, va="center", fontsize=8)
ax_grad.set_xlabel(r"$D(G(z))$")
ax_grad.set_ylabel(r"$\partial L / \partial \ell$ (nats per unit logit)")
ax_grad.set_title(r"(b) gradient w.r.t. the logit $\ell$", fontsize=10)
ax_grad.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize=8)
figure(fig, "gan.generator_losses", alt="Left: the saturating loss log(1 - D) is flat near D = 0 "
       "while the non-saturating loss -log D rises steeply there. Right: the gradient with respect "
       "to the discriminator logit is -D for the saturating loss, near 0 when D is small, and "
       "-(1 - D) for the non-saturating loss, near -1 when D is small.")
