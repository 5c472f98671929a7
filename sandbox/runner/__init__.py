"""The sandbox runner: grades one program against its tests and answers one JSON verdict.

Stdlib only, because it runs inside the sandbox image (copied there as ``/opt/runner``) or,
with the process backend, next to the server. It compiles once, runs every test as a fresh
process under rlimits (CPU time, memory, file size, processes) and a looser wall clock, keeps
expected outputs in its own memory, and kills every leftover process and wipes the work dir
before answering.

Modules: ``protocol`` (JSON lines in and out), ``grade`` (one job), ``checker`` (special
judges), ``process`` (one process under limits), ``limits`` (rlimits), ``cleanup`` (leftover
processes, files, IPC), ``compare`` (outputs and values), ``files`` (the work dir),
``languages`` (the one language table), ``zygote_host`` (the runner's side of the warm
interpreter), and what runs in the program's interpreter, not in the runner: the two harness
programs ``harness_assert`` and ``harness_call``, the warm interpreter ``zygote`` and how it
forks, ``fork``.

Modes: ``container`` (pid 1 of a dedicated container: leftovers die by ``kill(-1)``, and
/tmp, /dev/shm and SysV IPC are wiped too) and ``process`` (no container: descendants are
found through the child-subreaper flag and killed one by one; weaker).
"""
