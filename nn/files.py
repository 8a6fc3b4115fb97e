"""``.npz`` files for models and histories: written atomically, read without pickle.

Both ``Module.save`` and ``History.save`` go through here, so both keep the same two
promises: nothing is lost (a crash mid-save leaves the old file, never half a new one)
and loading never runs code (``allow_pickle=False``: an object array is refused).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from contextlib import contextmanager
from typing import BinaryIO, Dict, Iterator, Mapping, Type, Union

import numpy as np

__all__ = ["save_npz", "load_npz", "atomic_open", "write_atomic"]

PathLike = Union[str, "os.PathLike[str]"]

# The process's umask, read once (os.umask can only be read by setting it).
_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_open(path: PathLike) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new contents into; ``path`` changes only on success.

    The file is a temporary one in the same folder, flushed to disk and then renamed over
    ``path`` (a rename within one folder is atomic), so readers see the old file or the
    new one, never a mix; if the block raises, the temporary file is removed and ``path``
    is untouched. The new file gets the usual permissions (0666 less the umask), not
    mkstemp's 0600.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_atomic(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see ``atomic_open``)."""
    with atomic_open(path) as f:
        f.write(data)


def save_npz(path: PathLike, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` (exactly that name) as ``.npz``, atomically (``atomic_open``)."""
    with atomic_open(path) as f:  # a file object: numpy adds no ".npz" to the name
        np.savez(f, **arrays)  # type: ignore[arg-type]  # (numpy types its own keywords)


def load_npz(path: PathLike, where: str, what: str, error: Type[Exception] = ValueError) -> Dict[str, np.ndarray]:
    """Every array in the ``.npz`` at ``path``; ``error`` (naming ``where``) if it is unreadable.

    A missing file raises FileNotFoundError. A truncated or corrupt file, or one that
    holds pickled Python objects (which are never loaded), raises ``error`` saying so.
    """
    try:
        with np.load(os.fspath(path), allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
        raise error(
            f"{where}: not a readable {what} (truncated, corrupt, or holding Python objects, "
            f"which are never loaded): {exc}"
        ) from None
