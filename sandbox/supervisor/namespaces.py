"""The fresh namespaces each job runs in, set up by the job's init process.

The supervisor forks a child that unshares PID, mount, IPC and UTS namespaces
and forks the job's init: process 1 of a new PID namespace. Init, still root
with CAP_SYS_ADMIN in the container, mounts fresh file systems over every
writable place (so nothing of an earlier job is visible and nothing of this one
outlives it), a /proc of its own PID namespace with the container's masks
re-applied, and a fresh mqueue for its IPC namespace; then it drops to the
container's job uid for good. When init exits, the kernel kills every process
left in the namespace: nothing of a job can survive it.

The network namespace is the container's own (only `lo`), shared by the jobs
of this container one after another: sockets die with the processes that hold
them, and the container has no interface to reach anything else. A fresh one
per job would cost ~10 ms per job (measured on this machine kind) for no
difference a job can observe.
"""
import ctypes
import errno
import os

LIBC = ctypes.CDLL(None, use_errno=True)

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
JOB_NAMESPACES = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18

WORK_DIR = "/work"


def _check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)))


def unshare(flags):
    _check(LIBC.unshare(flags), "unshare")


def mount(source, target, fstype, flags=0, data=None):
    _check(
        LIBC.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        "mount %s" % target,
    )


def container_proc_masks(mountinfo="/proc/self/mountinfo"):
    """What the container runtime hides or freezes under /proc, read once at start
    so every job's fresh /proc gets exactly the same: [(path, kind)] with kind
    'ro' (a read-only view of itself), 'dir' (hidden by an empty read-only
    tmpfs) or 'file' (hidden by /dev/null)."""
    masks = []
    proc_device = None
    with open(mountinfo) as f:
        entries = [line.split() for line in f]
    for fields in entries:
        if fields[4] == "/proc":
            proc_device = fields[2]
    for fields in entries:
        target = fields[4]
        if not target.startswith("/proc/"):
            continue
        if fields[2] == proc_device:
            masks.append((target, "ro"))
        elif os.path.isdir(target):
            masks.append((target, "dir"))
        else:
            masks.append((target, "file"))
    return masks


def mount_job_filesystems(uid, work_dir_mb, proc_masks):
    """Runs in the job's init (pid 1 of its namespace, root): fresh tmpfs for the
    work dir, /tmp and /dev/shm, a fresh /proc with the container's masks, a
    fresh mqueue. Mount propagation is made private where the runtime allows it
    (gVisor refuses and has nothing to propagate to)."""
    try:
        mount(None, "/", None, MS_REC | MS_PRIVATE)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.EPERM):
            raise
    owner = "uid=%d,gid=%d" % (uid, uid)
    mount("tmpfs", WORK_DIR, "tmpfs", MS_NOSUID | MS_NODEV, "size=%dm,mode=0700,%s" % (work_dir_mb, owner))
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16m,mode=0700,%s" % owner)
    if os.path.isdir("/dev/shm"):
        mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16m,mode=0700,%s" % owner)
    if os.path.isdir("/dev/mqueue"):
        mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for path, kind in proc_masks:
        if not os.path.exists(path):
            continue
        if kind == "ro":
            mount(path, path, None, MS_BIND | MS_REC)
            mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
        elif kind == "dir":
            mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0")
        else:
            mount("/dev/null", path, None, MS_BIND)
