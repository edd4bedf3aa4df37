"""The seccomp filter on every user program (and everything it starts).

The container keeps CAP_SYS_ADMIN for the supervisor, so Docker's default
seccomp profile (which follows the container's capabilities) also allows the
system calls that come with it: namespaces, mounts, BPF and the like. A user
program has no capabilities, but some of these need none (an unprivileged user
namespace, for one) and each widens the kernel's attack surface. This filter,
loaded between the drop of privileges and exec, takes back exactly what
CAP_SYS_ADMIN added to Docker's default profile, so the program sees Docker's
default profile of an unprivileged container.

Built once in the supervisor, as a BPF program in a memory file that the exec
helper (sandbox/runplane-exec.c) loads in each program before exec.
"""
import errno
import fcntl
import os

import seccomp

# Docker's default profile allows these only when the container holds CAP_SYS_ADMIN.
DENIED = (
    "unshare", "setns", "mount", "umount", "umount2", "pivot_root", "mount_setattr", "move_mount",
    "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "bpf", "perf_event_open", "fanotify_init",
    "lookup_dcookie", "name_to_handle_at", "quotactl", "quotactl_fd", "sethostname", "setdomainname",
    "syslog", "vm86", "vm86old",
)
# clone() with any namespace flag: new namespaces are the supervisor's business only.
CLONE_NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
    0x00000080,  # CLONE_NEWTIME
)


def build():
    program_filter = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED:
        try:
            program_filter.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (RuntimeError, ValueError):
            pass  # not a system call on this architecture
    for flag in CLONE_NAMESPACE_FLAGS:
        program_filter.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to clone().
    program_filter.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    return program_filter


def export():
    """The filter as raw BPF in a memory file; returns its fd. Sealed, so nothing can
    change it, and mode 000, so no program can reopen it through /proc/<pid>/fd
    (gVisor allows that when the file's mode does); the open fd still reads."""
    fd = os.memfd_create("runplane-program-filter", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    with os.fdopen(fd, "wb", closefd=False) as f:
        build().export_bpf(f)
    os.fchmod(fd, 0)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE)
    return fd
