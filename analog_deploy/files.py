"""Writing result files safely: every file the package writes (ONNX models, arrays, records,
plots, checkpoints) goes through ``write_atomic``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes | str | Callable[[Path], None]) -> Path:
    """Write ``data`` (bytes, text, or a function that writes the file it is given) to ``path``
    via a temporary file in the same folder: readers never see a half-written file, and a failure
    leaves any previous file intact. The file gets the usual permissions (umask applied)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            if isinstance(data, (bytes, str)):
                file.write(data.encode() if isinstance(data, str) else data)
        if callable(data):
            data(Path(temporary))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp creates 0600
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
