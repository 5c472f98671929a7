"""The job's work dir: writing the job's files into it, reading a file back out safely."""

from __future__ import annotations

import os
import stat


def write_file(work: str, name: str, data: bytes) -> None:
    path = os.path.normpath(os.path.join(work, name))
    if not path.startswith(work + os.sep):
        raise ValueError(f"file name outside the work dir: {name!r}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)

def read_inside(work: str, name: str, cap: int) -> bytes | None:
    """A regular file of the work dir, or None: no component may be a symlink (a program's
    ``e -> /etc`` must not hand out ``e/passwd``) and the file must fit ``cap`` bytes."""
    path = os.path.normpath(os.path.join(work, name))
    if not path.startswith(work + os.sep):
        return None
    if os.path.realpath(path) != os.path.join(os.path.realpath(work), path[len(work) + 1:]):
        return None  # some component is a link
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > cap:
            return None
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read(cap + 1)[:cap]
    finally:
        os.close(fd)

