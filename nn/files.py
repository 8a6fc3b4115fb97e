"""``.npz`` files for models and histories: written atomically, read without pickle.

Both ``Module.save`` and ``History.save`` go through here, so both keep the same two
promises: nothing is lost (a crash mid-save leaves the old file, never half a new one)
and loading never runs code (``allow_pickle=False``: an object array is refused).

``write_atomic`` and ``atomic_open`` are the one atomic writer of the project: ``viz``
saves its pictures, steppers and GIFs through them, and so do the examples and scripts.
They live here, public, because ``viz`` already builds on ``nn`` (the arrows are
``viz -> nn -> autograd_lite``), and the engine knows nothing of files.

A save writes a temporary file ``.NAME.XXXXXXXX.tmp`` next to ``NAME`` and renames it
over ``NAME`` at the end. A process killed mid-save leaves that temporary file behind;
the next save of the same ``NAME`` removes it. Each writer holds a lock on its
temporary file while it writes (``flock``, released by the system when a process
dies), so a temporary file whose lock can be taken belongs to nobody, and one being
written by another thread or process is never touched. (On Windows, without flock, a
file still open in another process cannot be deleted, which serves the same purpose.)
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
import zlib
from contextlib import contextmanager, suppress
from typing import BinaryIO, Dict, Iterator, Mapping, Type, Union

import numpy as np

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]  # no module on Windows: no lock (see above)

__all__ = ["save_npz", "load_npz", "atomic_open", "write_atomic", "remove_stale_temporaries", "as_path"]

PathLike = Union[str, "os.PathLike[str]"]

# The process's umask, read once (os.umask can only be read by setting it).
_UMASK = os.umask(0)
os.umask(_UMASK)

_TMP_SUFFIX = ".tmp"
# mkstemp's random part: 8 characters from this alphabet (tempfile._RandomNameSequence).
_RANDOM = r"[a-z0-9_]{8}"


def as_path(path: object, where: str) -> str:
    """``path`` (a str or os.PathLike) as a str, or a TypeError naming ``where``."""
    try:
        text = os.fspath(path)  # type: ignore[call-overload]  # any object: fspath's TypeError is the check
    except TypeError:
        raise TypeError(f"{where}: path must be a str or a pathlib.Path, got {type(path).__name__} {path!r:.60}") from None
    if not isinstance(text, str):  # bytes paths: fine for the OS, but every message here is text
        text = os.fsdecode(text)
    return text


def _tmp_prefix(path: str) -> str:
    return f".{os.path.basename(path)}."


@contextmanager
def atomic_open(path: PathLike) -> Iterator[BinaryIO]:
    """A binary file to write ``path``'s new contents into; ``path`` changes only on success.

    The file is a temporary one in the same folder, flushed to disk and then renamed over
    ``path`` (a rename within one folder is atomic), so readers see the old file or the
    new one, never a mix; if the block raises, the temporary file is removed and ``path``
    is untouched. The new file gets the usual permissions (0666 less the umask), not
    mkstemp's 0600. Temporary files of ``path`` left by killed saves are removed first.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_temporaries(path)
    fd, tmp = _locked_tempfile(path, folder)
    f = os.fdopen(fd, "wb")
    try:
        yield f
        f.flush()
        os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        if fcntl is None:  # pragma: no cover - Windows cannot rename over an open file
            f.close()
        os.replace(tmp, path)  # still locked (POSIX): no cleaner can take it meanwhile
    except BaseException:
        if fcntl is None:  # pragma: no cover - Windows removes no open file
            f.close()
        # POSIX: removed while still locked, so no cleaner can race us to it (exists() then
        # unlink() after the close could fail, hiding the error that brought us here).
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        f.close()  # releases the lock


def _locked_tempfile(path: str, folder: str) -> "tuple[int, str]":
    """A new temporary file for ``path``, locked by us (see the module docstring)."""
    while True:
        fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(path), suffix=_TMP_SUFFIX, dir=folder)
        if fcntl is None:  # pragma: no cover
            return fd, tmp
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocks only while a cleaner looks at it
        if os.fstat(fd).st_nlink > 0:
            return fd, tmp
        # A cleaner took it between mkstemp and flock (it was not locked yet): try again.
        os.close(fd)


def remove_stale_temporaries(path: PathLike) -> int:
    """Remove the temporary files that killed saves of ``path`` left behind; return how many.

    Only files named like this module's temporaries of exactly this ``path``
    (``.NAME.XXXXXXXX.tmp``) whose writer is gone: one still being written is locked.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    pattern = re.compile(re.escape(_tmp_prefix(path)) + _RANDOM + re.escape(_TMP_SUFFIX))
    try:
        names = [n for n in os.listdir(folder) if pattern.fullmatch(n)]
    except OSError:
        return 0  # a folder we cannot list: the save itself will say what is wrong
    removed = 0
    for name in names:
        full = os.path.join(folder, name)
        if fcntl is None:  # pragma: no cover - Windows: a file open elsewhere cannot be removed
            try:
                os.unlink(full)
                removed += 1
            except OSError:
                pass
            continue
        try:
            fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue  # gone already, or not ours to open
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # locked: a live writer is using it
            try:  # still the same file under that name? (not renamed and replaced meanwhile)
                same = os.path.samestat(os.fstat(fd), os.lstat(full))
            except OSError:
                same = False
            if same:
                os.unlink(full)
                removed += 1
        finally:
            os.close(fd)
    return removed


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

    A missing file raises FileNotFoundError (and a folder or a file we may not read, the
    OSError that says so). A file that is not an ``.npz`` archive (a ``.npy``, a text
    file), a truncated or corrupt one (a broken zip, a damaged deflate stream), or one
    that holds pickled Python objects (which are never loaded) raises ``error`` saying so.
    """
    try:
        loaded = np.load(os.fspath(path), allow_pickle=False)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except Exception as exc:  # anything else about the bytes: not a readable archive
        raise error(f"{where}: not a readable {what} ({_reason(exc)}): {exc}") from None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        shape = getattr(loaded, "shape", None)
        article = "an" if what[:1].lower() in "aeiou" else "a"
        raise error(
            f"{where}: not {article} {what}: this is a single .npy array (shape {shape}), not an .npz "
            f"archive of named arrays"
        )
    try:
        with loaded as npz:
            return {k: npz[k] for k in npz.files}
    except Exception as exc:  # a member that is corrupt, truncated or pickled
        raise error(f"{where}: not a readable {what} ({_reason(exc)}): {exc}") from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, zlib.error):
        return "a compressed entry is corrupt"
    if isinstance(exc, (zipfile.BadZipFile, EOFError)):
        return "truncated or corrupt"
    if "pickle" in str(exc).lower():
        return "it holds Python objects, which are never loaded"
    return "truncated, corrupt, or not written by autograd-lite"
