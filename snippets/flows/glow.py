"""Glow's actnorm and invertible 1x1 convolution on a small batch of 3-channel images: the data-dependent
initialisation, and both log-determinants against torch.autograd's full Jacobian."""

import torch

from genmath.flows import make_actnorm, make_invertible_conv1x1
from genmath.snippet import claim, publish, table

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)
torch.manual_seed(0)
dtype = torch.float64

channels, height, width = publish("flows.glow.channels", 3), publish("flows.glow.height", 4), publish("flows.glow.width", 5)
# a batch whose channels have different means and spreads (as pixels of different colours do)
batch = (torch.randn(64, channels, height, width, dtype=dtype) * torch.tensor([0.5, 2.0, 4.0], dtype=dtype).view(1, 3, 1, 1)
         + torch.tensor([1.0, -3.0, 0.5], dtype=dtype).view(1, 3, 1, 1))

act = make_actnorm(channels).initialize(batch)  # s = 1/std, b = -mean/std per channel
out = act(batch)[0].detach().transpose(0, 1).reshape(channels, -1)
publish("flows.glow.init_mean", float(out.mean(1).abs().max()))
publish("flows.glow.init_std_error", float((out.std(1, unbiased=False) - 1).abs().max()))

conv = make_invertible_conv1x1(channels, lu=True, seed=0)
with torch.no_grad():  # move W away from its initial rotation, whose determinant is +-1
    conv.log_abs_s.add_(torch.tensor([0.4, -0.7, 0.9], dtype=dtype))
    conv.upper.add_(0.5 * torch.randn_like(conv.upper))
    conv.lower.add_(0.5 * torch.randn_like(conv.lower))


def step(x):
    """actnorm then 1x1 convolution: one Glow step without its coupling layer."""
    y, ld_act = act(x)
    y, ld_conv = conv(y)
    return y, ld_act + ld_conv


x = batch[:1]
dim = publish("flows.glow.jacobian_dim", channels * height * width)
jacobian = torch.autograd.functional.jacobian(lambda v: step(v.view_as(x))[0].reshape(-1), x.reshape(-1))
log_det_autograd = float(torch.linalg.slogdet(jacobian)[1])
with torch.no_grad():
    ld_act, ld_conv = float(act(x)[1]), float(conv(act(x)[0])[1])
    w = conv.weight()
pixels = height * width
publish("flows.glow.log_det_actnorm", ld_act, unit="nats")
publish("flows.glow.log_det_conv", ld_conv, unit="nats")
publish("flows.glow.log_det_sum", ld_act + ld_conv, unit="nats")
publish("flows.glow.log_det_autograd", log_det_autograd, unit="nats")
publish("flows.glow.log_det_w_dense", float(torch.linalg.slogdet(w)[1]), unit="nats")
publish("flows.glow.sum_log_s", float(conv.log_abs_s.detach().sum()), unit="nats")
publish("flows.glow.log_det_diff", abs(ld_act + ld_conv - log_det_autograd), unit="nats")
claim(abs(ld_act + ld_conv - log_det_autograd) < 1e-10,
      "the formulas' log-determinant matches slogdet of the autograd Jacobian")
with torch.no_grad():
    back = act.inverse(conv.inverse(step(x)[0])[0])[0]
publish("flows.glow.inverse_error", float((back - x).abs().max()))
# cost of the log-determinant: an LU of the full (C h w) x (C h w) Jacobian, about 2 n^3 / 3 flops,
# against C logarithms of the LU parameterisation (times h w, one multiplication)
publish("flows.glow.flops_dense", round(2 * dim ** 3 / 3))
table(["term", "formula (nats)", "check (nats)"],
      [["actnorm, $h\\,w\\sum_c \\log|s_c|$", ld_act, -pixels * float(torch.log(batch.transpose(0, 1).reshape(channels, -1).std(1, unbiased=False)).sum())],
       ["$1\\times1$ conv, $h\\,w\\sum_c \\log|s_c|$ (LU)", ld_conv, pixels * float(torch.linalg.slogdet(w)[1])],
       ["both, against autograd's full Jacobian", ld_act + ld_conv, log_det_autograd]],
      fmt=["", ".10f", ".10f"],
      caption="Log-determinants of one actnorm and one $1\\times1$ convolution on a $3 \\times 4 \\times 5$ image; "
              "the actnorm's check is $-h\\,w\\sum_c\\log \\mathrm{std}_c$ of the batch, the conv's $h\\,w\\log|\\det \\mathbf{W}|$ with numpy's determinant of the assembled $\\mathbf{W}$")
