"""One RealNVP affine coupling layer in 2-D: its Jacobian by autograd, and log|det| = sum of s."""

import numpy as np
import torch

from genmath.flows import make_affine_coupling
from genmath.snippet import publish, table

torch.set_num_threads(1)
torch.manual_seed(0)

# mask b = (1, 0): u_1 is copied, u_2 is scaled by exp(s(u_1)) and shifted by t(u_1)
layer = make_affine_coupling(2, np.array([1.0, 0.0]), hidden=16, seed=0).double()
with torch.no_grad():  # random, clearly non-zero s and t (an untrained layer starts close to identity)
    for p in layer.parameters():
        p.add_(0.5 * torch.randn_like(p))

u = torch.tensor([0.7, -1.3], dtype=torch.float64)
v, log_det = layer(u)
s, t = (a.detach() for a in layer.s_and_t(u))
jacobian = torch.autograd.functional.jacobian(lambda w: layer(w)[0], u)
sign, log_abs_det_autograd = torch.linalg.slogdet(jacobian)

table(["", r"$\partial v/\partial u_1$", r"$\partial v/\partial u_2$"],
      [["$v_1$", float(jacobian[0, 0]), float(jacobian[0, 1])], ["$v_2$", float(jacobian[1, 0]), float(jacobian[1, 1])]],
      fmt=".6f", caption="Jacobian of the coupling layer at $u = (0.7, -1.3)$, by torch autograd")
publish("flows.coupling.s2", float(s[1]))
publish("flows.coupling.exp_s2", float(torch.exp(s[1])))
publish("flows.coupling.j12", float(jacobian[0, 1]))
publish("flows.coupling.j21", float(jacobian[1, 0]))
publish("flows.coupling.log_det_sum_s", float(log_det.detach()), unit="nats")
publish("flows.coupling.log_det_autograd", float(log_abs_det_autograd), unit="nats")
publish("flows.coupling.log_det_diff", abs(float(log_det.detach()) - float(log_abs_det_autograd)), unit="nats")

# the inverse needs no inversion of s or t: u_2 = (v_2 - t(v_1)) exp(-s(v_1)), with v_1 = u_1
u_back, log_det_inverse = layer.inverse(v)
publish("flows.coupling.inverse_error", float((u_back - u).abs().max()))
publish("flows.coupling.log_det_inverse", float(log_det_inverse.detach()), unit="nats")
