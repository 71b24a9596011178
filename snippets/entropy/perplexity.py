"""Perplexity: the effective number of outcomes; and character models of a short text, held out."""

import ast
import codecs
import importlib.util
import math
from pathlib import Path

import numpy as np

import genmath
from genmath.snippet import publish, table

# Distributions: the four-symbol source, a uniform model of it, and the dice of this chapter
p = np.array([1 / 2, 1 / 4, 1 / 8, 1 / 8])
publish("entropy.ppl.source", genmath.perplexity(p))
publish("entropy.ppl.source_uniform_model", genmath.perplexity(p, np.full(4, 0.25)))
publish("entropy.ppl.loaded_die", genmath.perplexity(np.array([0.5, 0.1, 0.1, 0.1, 0.1, 0.1])))
publish("entropy.ppl.fair_die", genmath.perplexity(np.full(6, 1 / 6)))

# A text that ships with Python: the Zen of Python (the module `this` stores it ROT13-encoded; read, not run)
source = Path(importlib.util.find_spec("this").origin).read_text(encoding="utf-8")
encoded = next(n.value.value for n in ast.parse(source).body
               if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "s")
lines = codecs.decode(encoded, "rot13").strip().split("\n")
train, test = "\n".join(lines[:14]) + "\n", "\n".join(lines[14:]) + "\n"
vocab = sorted(set(train + test))  # the alphabet is known in advance; counts come from the training lines
index = {c: i for i, c in enumerate(vocab)}
V = publish("entropy.ppl.vocab", len(vocab))
publish("entropy.ppl.train_chars", len(train))
publish("entropy.ppl.test_chars", len(test))

# Unigram model with add-alpha (Lidstone) smoothing: q(c) = (n_c + alpha) / (N + alpha V)
alpha = publish("entropy.ppl.alpha", 0.1)
counts = np.zeros(V)
for c in train:
    counts[index[c]] += 1
unigram = (counts + alpha) / (counts.sum() + alpha * V)
test_freq = np.bincount([index[c] for c in test], minlength=V) / len(test)
ppl_uniform = publish("entropy.ppl.uniform", genmath.perplexity(test_freq, np.full(V, 1 / V)))
ppl_unigram = publish("entropy.ppl.unigram", genmath.perplexity(test_freq, unigram))

# Bigram model, the same smoothing: q(b | a) = (n_ab + alpha) / (n_a + alpha V); a line starts after "\n"
pair_counts = np.zeros((V, V))
for a, b in zip("\n" + train, train):
    pair_counts[index[a], index[b]] += 1
bigram = (pair_counts + alpha) / (pair_counts.sum(axis=1, keepdims=True) + alpha * V)
prev = np.array([index[c] for c in "\n" + test[:-1]])
nxt = np.array([index[c] for c in test])
# mean of -log q(b | a) over the held-out characters: a cross-entropy with the model's rows as logits
nll_bigram = genmath.softmax_cross_entropy(np.log(bigram[prev]), nxt)
ppl_bigram = publish("entropy.ppl.bigram", math.exp(nll_bigram))
assert V > ppl_uniform - 1e-9 and ppl_uniform > ppl_unigram > ppl_bigram
table(["model", "held-out cross-entropy (bits per character)", "perplexity"],
      [["uniform over the alphabet", math.log2(ppl_uniform), ppl_uniform],
       ["unigram", math.log2(ppl_unigram), ppl_unigram],
       ["bigram", math.log2(ppl_bigram), ppl_bigram]], fmt=".3f")
publish("entropy.ppl.bigram_bits", math.log2(ppl_bigram), unit="bits")
