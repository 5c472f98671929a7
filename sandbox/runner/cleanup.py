"""Clean-up after a job: kill every process it left, wipe every place it could write.

Container mode: the runner is pid 1, so ``kill(-1)`` reaches every other process and orphans
re-parent to it. Process mode: the runner is a child subreaper and walks its descendants.
"""

from __future__ import annotations

import os
import signal
import time

from .limits import process_state


def proc_stat(pid: int | str) -> list[bytes]:
    """The fields of ``/proc/<pid>/stat`` after the command name: state, ppid, ...
    Raises OSError when the process is gone."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        return f.read().rsplit(b")", 1)[1].split()


class Reaper:
    """Finds, kills and reaps the job's processes; removes what it wrote."""

    def __init__(self, mode: str, root: str) -> None:
        self.mode, self.root, self.me = mode, root, os.getpid()
        self.helper_cpu = 0.0  # CPU seconds of our helper processes reaped so far
        # programs run as our uid and may lower our rlimits or priority: a changed runner
        # would pass that on to every later test, so it asks to be recycled
        self.own_state = process_state(0)

    def helpers(self) -> set[int]:
        """Our own helper processes (spared or not) not reaped yet: their CPU time is kept
        apart from the job's."""
        return set()

    def helper_gone(self, pid: int) -> None:
        """Called when ``reap`` collects a helper process."""

    def spared(self) -> set[int]:
        """Our own helper processes (the zygote) that sweeps leave alone while no job process
        is around; a sweep that must kill (``kill_leftovers``) kills them too."""
        return set()

    def spared_killed(self) -> None:
        """Called after ``kill_leftovers``: the spared processes are gone as well."""

    def end_of_job(self) -> None:
        """Called first by ``cleanup``: helpers finish what they did for the job."""

    def settle(self, deadline: float) -> int:
        """Wait until the job's other processes are gone or ``deadline``; how many remain."""
        quiet = False  # a process that just lost its parent can miss one listing of /proc
        while True:
            self.reap()
            alive = self.live_others()
            if alive:
                quiet = False
            elif quiet:
                return 0
            else:
                quiet = True
                os.sched_yield()
                continue
            if time.monotonic() >= deadline:
                return alive
            time.sleep(0.005)

    def live_others(self) -> int:
        """Processes of the job still running (zombies waiting to be reaped do not count)."""
        if self.mode != "container":
            return len(self.descendants())
        count, spared = 0, self.spared()
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) != self.me and int(pid) not in spared:
                try:
                    state = proc_stat(pid)[0]
                except (OSError, IndexError):
                    continue
                count += state not in (b"Z", b"X")
        return count

    @staticmethod
    def killpg(pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass

    def reap(self) -> None:
        while True:
            try:
                pid, _, ru = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.helpers():
                self.helper_cpu += ru.ru_utime + ru.ru_stime
                self.helper_gone(pid)

    def others_present(self) -> bool:
        """Whether any process besides us and the spared ones exists, in any state (a zombie
        thread-group leader may still have live threads), once our zombies are reaped. When
        none does, nothing can start one: no sweep is needed."""
        self.reap()
        spared = self.spared()
        if self.mode != "container":
            return bool(set(self.descendants(everyone=True, zombies=True)) - spared)
        return any(p.isdigit() and int(p) != self.me and int(p) not in spared
                   for p in os.listdir("/proc"))

    def descendants(self, everyone: bool = False, zombies: bool = False) -> list[int]:
        """Our children (the job's processes, orphans included: we are a subreaper), spared
        ones only with ``everyone``, zombies only with ``zombies``."""
        kids, me = [], str(self.me)
        spared = set() if everyone else self.spared()
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    stat = proc_stat(pid)
                except OSError:
                    continue
                if stat[1].decode() == me and (zombies or stat[0] != b"Z") and (
                        int(pid) not in spared):
                    kids.append(int(pid))
        return kids

    def kill_leftovers(self) -> int:
        """Kill every process of the job still alive, spared ones too; returns how many
        there were."""
        try:
            return self._kill_all()
        finally:
            self.spared_killed()

    def _kill_all(self) -> int:
        found = 0
        for _ in range(100):
            self.reap()
            if self.mode == "container":
                try:
                    os.kill(-1, signal.SIGKILL)  # all but ourselves (pid 1)
                    found = found or 1
                except ProcessLookupError:
                    return found
            else:
                kids = self.descendants(everyone=True)  # orphans re-parent to us: subreaper
                if not kids:
                    return found
                found = max(found, len(kids))
                for pid in kids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            time.sleep(0.001)
        return found


    # -- cleanup ----------------------------------------------------------------------------
    def cleanup(self) -> str | None:
        """Wipe what the job left; a non-empty answer means the container must be recycled."""
        problems = []
        self.end_of_job()
        if self.others_present():
            self.kill_leftovers()
        if self.others_present():
            problems.append("processes survived")
        for d in self.writable_places():
            for name in os.listdir(d) if os.path.isdir(d) else []:
                try:
                    self.remove(os.path.join(d, name))
                except OSError as e:
                    problems.append(f"cannot remove {d}/{name}: {e}")
        if self.mode == "container":
            problems += self.clear_ipc()
        if process_state(0) != self.own_state:
            problems.append("a program changed the runner's rlimits, priority or CPU set")
        return "; ".join(problems) or None

    def writable_places(self) -> list[str]:
        """Every place a program can write (container mode: the root fs is read-only; POSIX
        message queues are files of /dev/mqueue)."""
        return [self.root] + (["/tmp", "/dev/shm", "/dev/mqueue"] if self.mode == "container"
                              else [])

    @staticmethod
    def remove(path: str) -> None:
        """rm -rf without recursion or long paths: a program may nest directories thousands
        deep (deeper than Python's recursion limit and PATH_MAX) and chmod 000 them. Walks
        with one open directory fd at a time; every process of the job is already dead, so
        nothing moves the tree while ``..`` is followed back up."""
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
        if os.path.islink(path) or not os.path.isdir(path):
            os.unlink(path)
            return
        os.chmod(path, 0o700)
        fd, todo, names = os.open(path, flags), [], []  # todo: subdirs left, one list a level
        try:
            while True:
                with os.scandir(fd) as it:
                    entries = list(it)
                subdirs = []
                for e in entries:
                    if e.is_dir(follow_symlinks=False):
                        subdirs.append(e.name)
                    else:
                        os.unlink(e.name, dir_fd=fd)
                todo.append(subdirs)
                while not todo[-1] and names:  # this level is empty: climb, removing it
                    todo.pop()
                    up = os.open("..", flags, dir_fd=fd)
                    os.close(fd)
                    fd = up
                    os.rmdir(names.pop(), dir_fd=fd)
                if not todo[-1]:
                    break
                down = todo[-1].pop()
                try:
                    os.chmod(down, 0o700, dir_fd=fd)
                except OSError:
                    pass
                sub = os.open(down, flags, dir_fd=fd)
                os.close(fd)
                fd = sub
                names.append(down)
        finally:
            os.close(fd)
        os.rmdir(path)

    def clear_ipc(self) -> list[str]:
        import ctypes

        left = []
        libc = ctypes.pythonapi  # libc's functions, found by dlsym
        for kind, fn in (("shm", "shmctl"), ("sem", "semctl"), ("msg", "msgctl")):
            try:
                with open(f"/proc/sysvipc/{kind}") as f:
                    ids = [int(line.split()[1]) for line in f.readlines()[1:] if line.strip()]
            except OSError:
                continue
            for i in ids:
                ok = (libc.semctl(i, 0, 0) if kind == "sem" else getattr(libc, fn)(i, 0, None))
                if ok != 0:
                    left.append(f"{kind} {i} not removable")
        return left

