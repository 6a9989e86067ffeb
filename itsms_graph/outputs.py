"""Writing an output file whole or not at all: every file the tool writes (snapshots, reports, exports, templates,
worksheets) goes through :func:`atomic_output`.

The bytes go to a temporary file in the target's folder, are flushed to disk, and the temporary file is renamed
over the target: a reader, a crash (kill -9), a full disk or a file-size limit leaves the previous file or the new
one, never a part of one. A second writer of the same target while the first holds it is refused, not interleaved
(a lock file beside the target, held with ``flock`` and removed when done). Any failure is one
:class:`~itsms_graph.errors.OutputError` naming the file, exit 2, the previous file untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from itsms_graph.errors import OutputBusy, OutputError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: writes stay atomic, a second writer is not refused
    fcntl = None  # type: ignore[assignment]

#: What a temporary file is called while it is written: hidden, beside its target, named after it
PART_SUFFIX = ".part"


def _failed(path: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    return OutputError(f"cannot write {path}: {reason}; nothing written, any previous file is unchanged")


def _new_file_mode(path: Path) -> int:
    """The target's own mode when it exists, else what a plain open() would give it (0666 less the umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        pass
    umask = 0o022
    try:
        with open("/proc/self/status", encoding="ascii") as fh:  # reading the umask without changing it
            umask = next((int(line.split()[1], 8) for line in fh if line.startswith("Umask:")), umask)
    except OSError:
        pass
    return 0o666 & ~umask


@contextlib.contextmanager
def _held(path: Path) -> Iterator[None]:
    """Hold the target's lock (``.NAME.lock`` beside it) while writing; refuse when another writer holds it."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    lock = path.with_name(f".{path.name}.lock")
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputBusy(
                f"another writer is writing {path} (it holds {lock.name}); nothing written: wait for it to finish"
            ) from None
        try:  # the lock file a finishing writer removed between our open and our lock is not the lock any more
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


@contextlib.contextmanager
def atomic_output(
    path: Path | str, *, text: bool = False, encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO[Any]]:
    """A file object that becomes *path* when the block ends without an error (binary unless *text*); on any
    error the target is left as it was and an OSError is re-raised as an OutputError (exit 2, one line)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = _held(path)
        lock.__enter__()
    except OSError as exc:
        raise _failed(path, exc) from None
    part: str | None = None
    try:
        fd, part = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=PART_SUFFIX)
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) if text else os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(part, _new_file_mode(path))
        os.replace(part, path)
        part = None
        _sync_folder(path.parent)
    except OSError as exc:
        raise _failed(path, exc) from None
    finally:
        if part is not None:
            with contextlib.suppress(OSError):
                os.unlink(part)
        lock.__exit__(None, None, None)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (the folder's entry), where the system allows opening a folder."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def writing(path: Path | str) -> Iterator[None]:
    """Work that prepares *path* outside :func:`atomic_output` (a snapshot's members in a scratch folder beside
    it): a failure to write there is *path*'s OutputError too, one line, the previous file untouched."""
    try:
        yield
    except OSError as exc:
        raise _failed(Path(path), exc) from None


def make_folder(folder: Path | str) -> Path:
    """*folder* and its parents, made if absent; an OutputError when it cannot be (a file in the way, no right)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _failed(folder, exc) from None
    return folder


def write_text(path: Path | str, text: str, *, encoding: str = "utf-8") -> None:
    """*text* as the whole of *path*, atomically."""
    with atomic_output(path, text=True, encoding=encoding, newline="") as fh:
        fh.write(text)


def write_bytes(path: Path | str, data: bytes) -> None:
    """*data* as the whole of *path*, atomically."""
    with atomic_output(path) as fh:
        fh.write(data)
