"""The on-disk memo of trained networks (genmath.memo) and the cached trainers built on it.

A hit must be indistinguishable from a fresh run: the same weights bit for bit, the same result fields
and the same state of torch's global generator afterwards. The notebook tests no longer retrain the
networks a build trained, so each trainer's own determinism (two runs, the same weights) is tested here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

from genmath import diffusion, flows, gan, memo, score, vae


@dataclass
class Trainer:
    """One trainer at tiny settings: ``fresh(**changes)`` trains, ``cached(cache_dir, **changes)`` goes
    through the memo, ``weights(result)`` its networks' state_dicts, ``fields(result)`` its other fields;
    ``data_changed(cache_dir)`` is a cached run on other data."""

    fresh: Any
    cached: Any
    weights: Any
    fields: Any
    change: dict[str, Any]  # a keyword argument that changes the result
    data_changed: Any


_X = np.random.default_rng(0).random((64, 12))
_BINARY = (_X > 0.5).astype(float)
_POINTS = np.random.default_rng(1).standard_normal((128, 2))
_TARGET = gan.gaussian_mixture_1d([0.5, 0.5], [-1.0, 1.0], [0.3, 0.3])
_BETAS = diffusion.scaled_linear_betas(25)
_RING, _LABELS = diffusion.ring_mixture_labelled(256, seed=0)


def _vae() -> Trainer:
    kw = {"test_x": _BINARY[:16], "latent_dim": 2, "hidden_dim": 8, "epochs": 2, "batch_size": 16, "seed": 0}
    fields = ("elbo", "reconstruction", "kl", "test_elbo", "kl_per_dim", "beta")
    return Trainer(lambda **c: vae.train_vae(_BINARY, **{**kw, **c}),
                   lambda d, **c: vae.cached_train_vae(_BINARY, cache_dir=d, **{**kw, **c}),
                   lambda r: {"model": r.model.state_dict()}, lambda r: {f: getattr(r, f) for f in fields},
                   {"beta": 2.0}, lambda d: vae.cached_train_vae(1.0 - _BINARY, cache_dir=d, **kw))


def _gan() -> Trainer:
    kw = {"steps": 20, "batch_size": 32, "hidden": 8, "snapshot_every": 10, "n_snapshot": 50, "n_value": 100,
          "d_grid": np.linspace(-2.0, 2.0, 5), "seed": 0}
    other = gan.gaussian_mixture_1d([0.5, 0.5], [-1.0, 1.5], [0.3, 0.3])
    return Trainer(lambda **c: gan.train_gan(_TARGET, **{**kw, **c}),
                   lambda d, **c: gan.cached_train_gan(_TARGET, cache_dir=d, **{**kw, **c}),
                   lambda r: {"G": r.generator.state_dict(), "D": r.discriminator.state_dict()},
                   lambda r: {f: getattr(r, f) for f in (*gan._GAN_ARRAYS, "config", "target")},
                   {"d_grid": np.linspace(-2.0, 2.0, 6)}, lambda d: gan.cached_train_gan(other, cache_dir=d, **kw))


def _wgan() -> Trainer:
    kw = {"steps": 5, "n_critic": 2, "batch_size": 32, "hidden": 8, "snapshot_every": 5, "n_snapshot": 50,
          "n_value": 100, "lipschitz_grid": np.linspace(-2.0, 2.0, 11), "seed": 0}
    other = gan.gaussian_mixture_1d([0.5, 0.5], [-1.0, 1.5], [0.3, 0.3])
    return Trainer(lambda **c: gan.train_wgan(_TARGET, **{**kw, **c}),
                   lambda d, **c: gan.cached_train_wgan(_TARGET, cache_dir=d, **{**kw, **c}),
                   lambda r: {"G": r.generator.state_dict(), "f": r.critic.state_dict()},
                   lambda r: {f: getattr(r, f) for f in (*gan._WGAN_ARRAYS, "config", "target")},
                   {"constraint": "clip"}, lambda d: gan.cached_train_wgan(other, cache_dir=d, **kw))


def _score() -> Trainer:
    kw = {"sigmas": [0.1, 0.5], "steps": 20, "batch_size": 32, "hidden": 8, "depth": 2, "seed": 0}
    return Trainer(lambda **c: score.train_score_net(_POINTS, **{**kw, **c}),
                   lambda d, **c: score.cached_train_score_net(_POINTS, cache_dir=d, **{**kw, **c}),
                   lambda r: {"model": r.model.state_dict()},
                   lambda r: {"objective": r.objective, "sigmas": r.sigmas, "losses": r.losses},
                   {"sigmas": [0.1, 0.6]},
                   lambda d: score.cached_train_score_net(_POINTS[::-1].copy(), cache_dir=d, **kw))


def _ddpm() -> Trainer:
    kw = {"steps": 10, "batch_size": 32, "hidden": 8, "seed": 1}
    return Trainer(lambda **c: diffusion.train_ddpm(_RING, _BETAS, **{**kw, **c}),
                   lambda d, **c: diffusion.cached_train_ddpm(_RING, _BETAS, cache_dir=d, **{**kw, **c}),
                   lambda r: {"model": r.model.state_dict()}, lambda r: {"betas": r.betas, "losses": r.losses},
                   {"seed": 2},
                   lambda d: diffusion.cached_train_ddpm(_RING, _BETAS[::-1].copy(), cache_dir=d, **kw))


def _cfg_ddpm() -> Trainer:
    kw = {"steps": 10, "batch_size": 32, "hidden": 8, "seed": 4}
    return Trainer(lambda **c: diffusion.train_cfg_ddpm(_RING, _LABELS, 8, _BETAS, **{**kw, **c}),
                   lambda d, **c: diffusion.cached_train_cfg_ddpm(_RING, _LABELS, 8, _BETAS, cache_dir=d,
                                                                  **{**kw, **c}),
                   lambda r: {"model": r.model.state_dict()}, lambda r: {"betas": r.betas, "losses": r.losses},
                   {"p_uncond": 0.5},
                   lambda d: diffusion.cached_train_cfg_ddpm(_RING, (_LABELS + 1) % 8, 8, _BETAS, cache_dir=d, **kw))


def _flow() -> Trainer:
    kw = {"steps": 20, "batch_size": 32, "lr": 3e-3}

    def fresh(**c: Any) -> Any:
        flow = flows.make_realnvp(2, 2, hidden=8, seed=0)
        return flow, flows.train_flow(flow, _POINTS, **{**kw, **c})

    def cached(d: Any, data: Any = _POINTS, **c: Any) -> Any:
        flow = flows.make_realnvp(2, 2, hidden=8, seed=0)
        return flow, flows.cached_train_flow(flow, data, cache_dir=d, **{**kw, **c})

    return Trainer(fresh, cached, lambda r: {"flow": r[0].state_dict()}, lambda r: {"history": r[1]},
                   {"lr": 1e-3}, lambda d: cached(d, _POINTS[::-1].copy()))


TRAINERS = {"vae": _vae, "gan": _gan, "wgan": _wgan, "score": _score, "ddpm": _ddpm, "cfg_ddpm": _cfg_ddpm,
            "flow": _flow}


def _assert_same_weights(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for net, state in a.items():
        assert state.keys() == b[net].keys()
        for name, t in state.items():
            assert t.dtype == b[net][name].dtype and torch.equal(t, b[net][name]), f"{net}.{name} differs"


def _assert_same_fields(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for name, value in a.items():
        other = b[name]
        if isinstance(value, np.ndarray):
            assert isinstance(other, np.ndarray) and value.dtype == other.dtype, name
            np.testing.assert_array_equal(value, other, err_msg=name)
        else:
            assert type(value) is type(other) and value == other, name


def _entries(folder: Any) -> list[Any]:
    return sorted((folder / "models").glob("*.pt"))


@pytest.fixture(autouse=True)
def _one_thread() -> Any:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_training_twice_gives_identical_weights(name: str) -> None:
    """Each trainer is deterministic for a fixed seed: what makes a memo hit equal to a fresh run."""
    t = TRAINERS[name]()
    first, second = t.fresh(), t.fresh()
    _assert_same_weights(t.weights(first), t.weights(second))
    _assert_same_fields(t.fields(first), t.fields(second))
    changed = t.fresh(**t.change)
    with pytest.raises(AssertionError):  # the changed argument matters, to the weights or another field
        _assert_same_weights(t.weights(changed), t.weights(first))
        _assert_same_fields(t.fields(changed), t.fields(first))


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_a_hit_is_a_fresh_run(name: str, tmp_path: Any) -> None:
    """The cached trainer returns the weights and fields of a fresh run and leaves torch's global
    generator where a fresh run leaves it, whether it trains (a miss) or loads (a hit)."""
    t = TRAINERS[name]()
    torch.manual_seed(123)
    fresh = t.fresh()
    rng_after = torch.get_rng_state()
    for _ in ("miss", "hit"):
        torch.manual_seed(123)
        got = t.cached(tmp_path)
        assert torch.equal(torch.get_rng_state(), rng_after)
        _assert_same_weights(t.weights(got), t.weights(fresh))
        _assert_same_fields(t.fields(got), t.fields(fresh))
        assert len(_entries(tmp_path)) == 1


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_other_arguments_or_data_are_a_miss(name: str, tmp_path: Any) -> None:
    t = TRAINERS[name]()
    t.cached(tmp_path)
    changed = t.cached(tmp_path, **t.change)
    assert len(_entries(tmp_path)) == 2
    fresh = t.fresh(**t.change)
    _assert_same_weights(t.weights(changed), t.weights(fresh))
    _assert_same_fields(t.fields(changed), t.fields(fresh))
    t.data_changed(tmp_path)
    assert len(_entries(tmp_path)) == 3


@pytest.mark.parametrize("damage", ["truncated", "one byte changed"])
def test_a_corrupt_entry_is_trained_again(damage: str, tmp_path: Any) -> None:
    calls = []

    def train() -> dict[str, Any]:
        calls.append(1)
        return {"w": torch.arange(1000, dtype=torch.float64)}

    def run() -> dict[str, Any]:
        return memo.memo("test", memo.__file__, [np.arange(3)], {"a": 1}, train, lambda r: r, lambda s: s,
                         cache_dir=tmp_path)

    run()
    (entry,) = _entries(tmp_path)
    blob = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(blob[:200])
    else:
        middle = len(blob) // 2
        entry.write_bytes(blob[:middle] + bytes([blob[middle] ^ 1]) + blob[middle + 1:])
    assert torch.equal(run()["w"], torch.arange(1000, dtype=torch.float64))
    assert len(calls) == 2, "the damaged entry was not trusted"
    run()
    assert len(calls) == 2, "the rewritten entry is a hit"


def test_the_key_covers_arrays_options_and_source(tmp_path: Any) -> None:
    base = memo.key(memo.__file__, [np.arange(3.0)], {"a": 1})
    assert base == memo.key(memo.__file__, [np.arange(3.0)], {"a": 1})
    others = [memo.key(memo.__file__, [np.arange(3.0) + 1], {"a": 1}),
              memo.key(memo.__file__, [np.arange(3.0).reshape(3, 1)], {"a": 1}),
              memo.key(memo.__file__, [np.arange(3)], {"a": 1}),
              memo.key(memo.__file__, [None], {"a": 1}),
              memo.key(memo.__file__, [np.arange(3.0)], {"a": 2}),
              memo.key(flows.__file__, [np.arange(3.0)], {"a": 1})]
    assert len({base, *others}) == len(others) + 1


def test_keywords_fill_in_defaults_and_refuse_unknown_names() -> None:
    full = memo.keywords(score.train_score_net, {"steps": 5})
    assert full["steps"] == 5 and full["objective"] == "dsm" and "data" not in full
    assert memo.keywords(score.train_score_net, {"objective": "dsm", "steps": 5}) == full
    with pytest.raises(TypeError, match="stepz"):
        memo.keywords(score.train_score_net, {"stepz": 5})


def test_the_cache_folder_follows_the_environment(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("GENMATH_CACHE_DIR", str(tmp_path / "env"))
    assert memo.cache_folder() == tmp_path / "env" / "models"
    assert memo.cache_folder(tmp_path) == tmp_path / "models"
    monkeypatch.delenv("GENMATH_CACHE_DIR")
    assert str(memo.cache_folder()) == str(memo.Path(".genmath-cache") / "models")


def test_a_second_caller_waits_for_the_first_ones_result(tmp_path: Any) -> None:
    """Two callers at once train once: the second waits on the entry's lock and loads the result."""
    calls = []
    started = threading.Event()

    def train() -> dict[str, Any]:
        calls.append(1)
        started.set()
        time.sleep(0.3)
        return {"w": torch.ones(3)}

    def run() -> dict[str, Any]:
        return memo.memo("test", memo.__file__, [], {}, train, lambda r: r, lambda s: s, cache_dir=tmp_path)

    first = threading.Thread(target=run)
    first.start()
    started.wait(5)
    assert torch.equal(run()["w"], torch.ones(3))
    first.join()
    assert len(calls) == 1
