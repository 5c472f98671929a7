"""Every test of a job starts from the same files: the places a program can write, brought
back to what the job's first test found there.

Without this a program could carry state from one test to the next (a counter file, a cache,
a rewritten ``main.py``), so its verdict would depend on the order and grouping of its tests:
on how many sandboxes a long job is spread over, for instance. ``take`` records the tree
(file contents kept in the runner's memory, where no program reaches); ``restore`` removes
what is new, re-creates what was changed or removed (content, mode, times) and leaves what is
untouched, so a test that writes nothing costs one ``scandir`` and ``lstat`` per entry.
"""

from __future__ import annotations

import os
import stat

from .cleanup import Reaper

# Kept file contents at most (bytes); beyond it the job's tests share their files as before.
MAX_KEPT = 64 << 20


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    # ctime cannot be set by a program: any change of content or metadata shows in it
    return st.st_ino, st.st_ctime_ns, st.st_size, st.st_mode


def _reset_metadata(path: str, times: tuple[int, int]) -> None:
    """A directory's own times and user xattrs as recorded: a program that owns it can set
    both, and either would carry a count from one test to the next."""
    try:
        for name in os.listxattr(path, follow_symlinks=False):
            if name.startswith("user."):
                os.removexattr(path, name, follow_symlinks=False)
    except OSError:
        pass
    try:
        os.utime(path, ns=times, follow_symlinks=False)
    except OSError:
        pass


def _own(path: str, owner: tuple[int, int]) -> None:
    """Give a re-created entry its first owner (a runner as root runs programs as another
    uid); a runner that is not root already is that owner."""
    if os.geteuid() == 0 and owner != (os.geteuid(), os.getegid()):
        os.lchown(path, *owner)


class Snapshot:
    """The entries under ``dirs`` as they are now; ``ok`` False when too big to keep."""

    def __init__(self, dirs: list[str]) -> None:
        self.dirs = [d for d in dirs if os.path.isdir(d) and not os.path.islink(d)]
        # path -> [kind, stamp, mode, (atime, mtime), data, (uid, gid)]
        self.entries: dict[str, list] = {}
        self.children: dict[str, list[str]] = {}
        self.ok, kept = True, 0
        todo = list(self.dirs)
        while todo and self.ok:
            path = todo.pop()
            st = os.lstat(path)
            self.entries[path] = ["dir", _stamp(st), stat.S_IMODE(st.st_mode),
                                  (st.st_atime_ns, st.st_mtime_ns), None, (st.st_uid, st.st_gid)]
            names = self.children[path] = []
            for e in os.scandir(path):
                names.append(e.name)
                st = e.stat(follow_symlinks=False)
                times = (st.st_atime_ns, st.st_mtime_ns)
                if stat.S_ISDIR(st.st_mode):
                    todo.append(e.path)
                elif stat.S_ISREG(st.st_mode):
                    kept += st.st_size
                    if kept > MAX_KEPT:
                        self.ok = False
                        break
                    with open(e.path, "rb") as f:
                        data = f.read()
                    self.entries[e.path] = ["file", _stamp(st), stat.S_IMODE(st.st_mode), times,
                                            data, (st.st_uid, st.st_gid)]
                elif stat.S_ISLNK(st.st_mode):
                    self.entries[e.path] = ["link", _stamp(st), 0, None, os.readlink(e.path),
                                            (st.st_uid, st.st_gid)]
                else:  # fifos, sockets, message queues: kept if untouched, not re-created
                    self.entries[e.path] = ["other", _stamp(st), 0, None, None, None]

    def restore(self) -> None:
        """Bring every directory back to its recorded state (best effort: an entry that
        cannot be removed or re-created is left as it is)."""
        if self.ok:
            for d in self.dirs:
                self._restore_dir(d)

    def _restore_dir(self, path: str) -> None:
        entry = self.entries[path]
        try:
            st = os.lstat(path)
            if not stat.S_ISDIR(st.st_mode):
                Reaper.remove(path)
                raise FileNotFoundError(path)
        except FileNotFoundError:
            try:
                os.mkdir(path, entry[2])
                _own(path, entry[5])
                st = os.lstat(path)
            except OSError:
                return
        if stat.S_IMODE(st.st_mode) != entry[2]:
            try:
                os.chmod(path, entry[2])
            except OSError:
                pass
        mine = self.children[path]
        try:
            now = os.listdir(path)
        except OSError:
            return
        known = set(mine)
        for name in now:
            full = os.path.join(path, name)
            if name not in known:
                self._remove(full)
                continue
            kind = self.entries[full][0]
            if kind == "dir":
                continue  # restored below
            try:
                changed = _stamp(os.lstat(full)) != self.entries[full][1]
            except OSError:
                continue
            if changed:
                self._remove(full)
        for name in mine:
            full = os.path.join(path, name)
            kind, _, mode, times, data, owner = self.entries[full]
            if kind == "dir":
                self._restore_dir(full)
            elif not os.path.lexists(full):
                self._create(full, kind, mode, times, data, owner)
        _reset_metadata(path, entry[3])

    @staticmethod
    def _remove(path: str) -> None:
        try:
            Reaper.remove(path)
        except OSError:
            pass

    def _create(self, path: str, kind: str, mode: int, times: tuple | None,
                data: bytes | str | None, owner: tuple[int, int]) -> None:
        try:
            if kind == "file":
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
                try:
                    view = memoryview(data)  # type: ignore[arg-type]
                    while view:
                        view = view[os.write(fd, view):]
                    os.fchmod(fd, mode)  # not narrowed by the umask
                    os.utime(fd, ns=times)
                finally:
                    os.close(fd)
            elif kind == "link":
                os.symlink(data, path)  # type: ignore[arg-type]
            else:
                return
            _own(path, owner)
            self.entries[path][1] = _stamp(os.lstat(path))
        except OSError:
            pass
