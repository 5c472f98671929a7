"""The sandbox's seccomp profile: Docker's default filter does not block everything we want.

Docker engines before 25.0 let ``io_uring_setup`` through their built-in profile, and
io_uring has been a steady source of kernel privilege escalations while no program under
test needs it. A container takes one profile, so this one replaces Docker's: every system
call is allowed except the families below, which graded programs never need and which are the
usual kernel attack surface or a way around the other layers. Each denial answers EPERM (the
program sees an ordinary failure, the verdict stays the program's), except ``clone3``, which
answers ENOSYS so that libc falls back to ``clone``, whose namespace flags are checked here.

The three x86 system-call tables are named, so the rules also hold for 32-bit entry points.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

EPERM, ENOSYS = 1, 38

DENIED: dict[str, tuple[str, ...]] = {
    "async io that bypasses the syscall filter": (
        "io_uring_setup", "io_uring_enter", "io_uring_register"),
    "namespaces (user namespaces grant capabilities inside)": (
        "unshare", "setns"),
    "mounts and file-system views": (
        "mount", "umount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount",
        "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "quotactl",
        "quotactl_fd", "nfsservctl"),
    "kernel keyrings": ("add_key", "request_key", "keyctl"),
    "kernel programs, profiling and page-fault handlers": (
        "bpf", "perf_event_open", "userfaultfd", "lookup_dcookie"),
    "other processes' memory": (
        "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
        "process_madvise"),
    "kernel modules and reboots": (
        "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms",
        "query_module", "kexec_load", "kexec_file_load", "reboot"),
    "host-wide clocks, swap, accounting and logs": (
        "settimeofday", "stime", "clock_settime", "clock_adjtime", "adjtimex", "swapon",
        "swapoff", "acct", "syslog"),
    "file handles that skip path checks": ("open_by_handle_at", "name_to_handle_at"),
    "NUMA placement of pages": ("mbind", "set_mempolicy", "migrate_pages", "move_pages"),
    "legacy and hardware access": (
        "uselib", "ustat", "sysfs", "_sysctl", "vm86", "vm86old", "iopl", "ioperm",
        "fanotify_init", "memfd_secret"),
}

# clone(2) flags that create namespaces: CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER,
# NEWPID, NEWNET. One rule per bit (a rule matches ``arg & bit == bit``).
CLONE_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000,
                         0x20000000, 0x40000000)


def denied_syscalls() -> list[str]:
    """Every system call the profile refuses outright, sorted."""
    return sorted({name for names in DENIED.values() for name in names})


def profile() -> dict[str, Any]:
    """The profile in Docker's JSON format (``defaultAction`` allow, the denials as rules)."""
    rules: list[dict[str, Any]] = [
        {"names": denied_syscalls(), "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS},
    ]
    rules += [{"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM,
               "args": [{"index": 0, "value": bit, "valueTwo": bit, "op": "SCMP_CMP_MASKED_EQ"}]}
              for bit in CLONE_NAMESPACE_FLAGS]
    return {"defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": rules}


@lru_cache(maxsize=1)
def security_opt() -> str:
    """The ``security_opt`` entry for ``containers.create``: Docker takes the JSON inline."""
    return "seccomp=" + json.dumps(profile(), separators=(",", ":"))
