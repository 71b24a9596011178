"""An on-disk memo of trained networks, shared by separate processes.

A site build runs every snippet in its own process, and the notebook tests run a chapter's snippets
again in one kernel; several of them train the same network. :func:`memo` runs a trainer once and
keeps its result on disk, so every later call with the same inputs loads the very weights a fresh run
would produce (the trainers are deterministic) instead of training again.

The entry's key is a sha256 over everything the result depends on: the input arrays (their bytes,
shapes and dtypes), the keyword arguments, the source of the trainer's module (the network and the
training loop), the torch and numpy versions and torch's thread count. An entry is written atomically
with a checksum of its payload, checked on every load (a corrupt or truncated entry is trained again),
and one lock file per entry makes a second process wait for the first one's result instead of training
too. Entries go to ``models/`` under ``$GENMATH_CACHE_DIR``, else ``.genmath-cache`` in the current
directory (the project root during a site build).

Nothing is pickled: an entry holds tensors, lists, numbers and strings only (``torch.save``, read back
with ``torch.load(..., weights_only=True)``); each trainer's module turns its result into such a state
(state_dicts, loss histories) and rebuilds the result object from it (a network constructed from the
keyword arguments, then ``load_state_dict``). The state of torch's global generator after training is
part of every entry and restored on a hit: the trainers seed it to initialise the weights, and a snippet
that samples from it afterwards must see the same numbers as after a fresh run.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

#: Length of the hex sha256 checksum that starts every entry.
_CHECKSUM_CHARS = 64


def cache_folder(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The folder of the memo's entries: ``models/`` under ``cache_dir``, else under
    ``$GENMATH_CACHE_DIR``, else under ``.genmath-cache`` in the current directory."""
    root = Path(cache_dir if cache_dir is not None else os.environ.get("GENMATH_CACHE_DIR", ".genmath-cache"))
    return root / "models"


def key(source: str | os.PathLike[str], arrays: Sequence[Any], options: Mapping[str, Any]) -> str:
    """The hex sha256 of an entry: ``arrays`` (each one's bytes, shape and dtype; None allowed),
    ``options`` (the keyword arguments, by ``repr`` in name order), the file ``source`` (the trainer's
    module), the torch and numpy versions and torch's thread count."""
    import torch

    parts = []
    for a in arrays:
        if a is None:
            parts.append(b"None")
            continue
        arr = np.ascontiguousarray(a)
        parts += [arr.tobytes(), f"{arr.shape} {arr.dtype}".encode()]
    parts += [repr(sorted(options.items())).encode(), Path(source).read_bytes(), torch.__version__.encode(),
              np.__version__.encode(), str(torch.get_num_threads()).encode()]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def memo(kind: str, source: str | os.PathLike[str], arrays: Sequence[Any], options: Mapping[str, Any],
         train: Callable[[], T], to_state: Callable[[T], dict[str, Any]],
         from_state: Callable[[dict[str, Any]], T], *, cache_dir: str | os.PathLike[str] | None = None) -> T:
    """``train()`` through the memo: the stored result if there is a valid entry for
    ``(source, arrays, options)`` (see :func:`key`), else a fresh run, stored.

    ``to_state(result)`` gives the result as a dict of tensors, lists, numbers and strings (what
    ``torch.load(..., weights_only=True)`` reads back); ``from_state(state)`` rebuilds the result from
    it. ``kind`` names the entries (``<kind>-<key>.pt``). Torch's global generator is left as the fresh
    run leaves it, on a hit too.
    """
    import torch

    folder = cache_folder(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{kind}-{key(source, arrays, options)[:40]}.pt"

    def load() -> T | None:
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        checksum, payload = blob[:_CHECKSUM_CHARS], blob[_CHECKSUM_CHARS:]
        if hashlib.sha256(payload).hexdigest().encode() != checksum:
            return None  # truncated or corrupt: train again
        entry = torch.load(io.BytesIO(payload), weights_only=True)
        result = from_state(entry["result"])
        torch.set_rng_state(entry["rng"])  # after from_state, which may seed it to build a network
        return result

    with locked(folder / (path.name + ".lock")):
        found = load()
        if found is not None:
            return found
        result = train()
        buf = io.BytesIO()
        torch.save({"result": to_state(result), "rng": torch.get_rng_state()}, buf)
        payload = buf.getvalue()
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(hashlib.sha256(payload).hexdigest().encode() + payload)
        os.replace(tmp, path)  # atomic: a reader sees the old state or the whole entry
        return result


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``lock_path`` (fcntl; a no-op where fcntl does not exist)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def tensor(a: Any) -> Any:
    """A numpy array (or None) as a torch tensor of the same dtype and values, for an entry's state."""
    import torch

    return None if a is None else torch.from_numpy(np.ascontiguousarray(a))


def array(t: Any) -> Any:
    """An entry's tensor (or None) back as the numpy array :func:`tensor` was given."""
    return None if t is None else t.numpy()


def keywords(trainer: Callable[..., Any], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """``kwargs`` with the defaults of ``trainer``'s other keyword-only parameters filled in, so that an
    argument given at its default value and one left out make the same entry (and a rebuilt network
    can read every setting). Unknown names raise ``TypeError`` as a call would."""
    import inspect

    params = inspect.signature(trainer).parameters
    unknown = sorted(set(kwargs) - {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY})
    if unknown:
        raise TypeError(f"{trainer.__name__}() got an unexpected keyword argument {unknown[0]!r}")
    return {n: kwargs.get(n, p.default) for n, p in params.items() if p.kind is p.KEYWORD_ONLY}
