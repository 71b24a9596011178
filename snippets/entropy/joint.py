"""Joint and conditional entropy, the chain rule and mutual information on a 3 x 2 table."""

import numpy as np

import genmath
from genmath.figures import subplots
from genmath.snippet import figure, publish, table

# X = the weather (sun, cloud, rain), Y = whether a commuter carries an umbrella (no, yes)
weather, umbrella = ["sun", "cloud", "rain"], ["no", "yes"]
p_xy = np.array([[0.45, 0.05],
                 [0.15, 0.10],
                 [0.05, 0.20]])
p_x, p_y = p_xy.sum(axis=1), p_xy.sum(axis=0)

bits = {
    "h_x": genmath.entropy(p_x, base=2),
    "h_y": genmath.entropy(p_y, base=2),
    "h_xy": genmath.entropy(p_xy.ravel(), base=2),
    "h_y_given_x": genmath.conditional_entropy(p_xy, base=2),
    "h_x_given_y": genmath.conditional_entropy(p_xy.T, base=2),
    "mi": genmath.mutual_information(p_xy, base=2),
}
for name, value in bits.items():
    publish(f"entropy.joint.{name}", value, unit="bits")
publish("entropy.joint.mi_nats", genmath.mutual_information(p_xy), unit="nats")

# The chain rule and the three forms of I(X; Y), to rounding
assert abs(bits["h_xy"] - (bits["h_x"] + bits["h_y_given_x"])) < 1e-12
assert abs(bits["h_xy"] - (bits["h_y"] + bits["h_x_given_y"])) < 1e-12
assert abs(bits["mi"] - (bits["h_y"] - bits["h_y_given_x"])) < 1e-12
assert abs(bits["mi"] - (bits["h_x"] + bits["h_y"] - bits["h_xy"])) < 1e-12

# Entropy of Y after each observation: on average it falls, but a cloudy day raises it
rows = []
for i, w in enumerate(weather):
    h = genmath.entropy(p_xy[i] / p_x[i], base=2)
    publish(f"entropy.joint.h_y_given_{w}", h, unit="bits")
    rows.append([w, p_x[i], p_xy[i, 1] / p_x[i], h])
table(["weather x", "p(x)", "p(umbrella | x)", "H(Y | X = x) (bits)"], rows, fmt=".4f")
h_cloud = genmath.entropy(p_xy[1] / p_x[1], base=2)
assert h_cloud > bits["h_y"] > bits["h_y_given_x"], "a cloudy day raises H(Y); on average X lowers it"

# The JSD of the GAN chapter is a mutual information: X a pooled sample, B the fair coin that chose p or q
p, q = np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])
jsd = publish("entropy.joint.jsd", genmath.jensen_shannon(p, q), unit="nats")
mi_label = publish("entropy.joint.mi_label", genmath.mutual_information(0.5 * np.stack([p, q])), unit="nats")
assert abs(jsd - mi_label) < 1e-12

# Information diagram: H(X, Y) split into H(X | Y), I(X; Y), H(Y | X)
a, m, c = bits["h_x_given_y"], bits["mi"], bits["h_y_given_x"]
fig, ax = subplots(figsize=(4.6, 2.4))
spans = [("$H(X, Y)$", [(0, a + m + c, "#9ca3af", "")]),
         ("$H(X)$", [(0, a, "C0", "$H(X \\mid Y)$"), (a, m, "C2", "$I$")]),
         ("$H(Y)$", [(a, m, "C2", "$I$"), (a + m, c, "C1", "$H(Y \\mid X)$")])]
for row, (label, pieces) in enumerate(spans):
    for start, width, colour, text in pieces:
        ax.barh(row, width, left=start, height=0.6, color=colour, alpha=0.8)
        if text:
            ax.text(start + width / 2, row, text, ha="center", va="center", fontsize=11)
ax.set_yticks(range(3), [s[0] for s in spans], fontsize=11)
ax.invert_yaxis()
ax.set_xlabel("bits")
ax.grid(axis="y", visible=False)
figure(fig, "entropy.joint.diagram",
       alt="Three horizontal bars in bits. H(X, Y) = {{ entropy.joint.h_xy:.3f }} bits spans the whole width. "
           "H(X) = {{ entropy.joint.h_x:.3f }} bits is split into H(X | Y) = {{ entropy.joint.h_x_given_y:.3f }} bits "
           "and I(X; Y) = {{ entropy.joint.mi:.3f }} bits; H(Y) = {{ entropy.joint.h_y:.3f }} bits is "
           "I(X; Y) followed by H(Y | X) = {{ entropy.joint.h_y_given_x:.3f }} bits. The overlap of the two "
           "lower bars is the mutual information.",
       caption="The weather-and-umbrella table in bits. The bars of H(X) and H(Y) overlap in I(X; Y) = "
               "{{ entropy.joint.mi:.3f }} bits, and together they cover H(X, Y): the chain rule and the three forms "
               "of the mutual information, read off one picture.")
