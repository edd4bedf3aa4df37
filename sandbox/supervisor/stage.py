"""One stage (compile or run) of a job, run by the job's init (pid 1 of the
job's PID namespace): start the program as the job uid with its limits,
feed its stdin, capture its output up to the cap, enforce the wall time, then
kill everything the stage left and account for it."""
import base64
import math
import os
import resource
import selectors
import signal
import time

# After the main process exits, how long to keep reading output that
# background children may still hold open before killing them.
DRAIN_GRACE_S = 0.05


def oom_kills():
    """OOM kills so far in this container's memory cgroup (v1 or v2), or None."""
    for path, key in (("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill"), ("/sys/fs/cgroup/memory.events", "oom_kill")):
        try:
            with open(path) as f:
                for line in f:
                    name, _, value = line.partition(" ")
                    if name == key:
                        return int(value)
        except OSError:
            continue
    return None


def kill_everything_else():
    """kill(-1) from pid 1 of a PID namespace reaches every other process in it,
    setsid or not, then reaps them all so their CPU time is accounted."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.001)


# Built into the sandbox image from sandbox/runplane-exec.c.
EXEC_HELPER = "/usr/local/lib/runplane/runplane-exec"
# Python ignores SIGPIPE; an ignored signal stays ignored across exec, so name it.
DEFAULT_SIGNALS = (signal.SIGPIPE, signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def spawn_program(stage, env, job, fds):
    """posix_spawn (vfork-like, no copy of this Python process) of the exec helper,
    which drops to the job uid, sets no_new_privs, the rlimits and the seccomp
    filter and execs the program, in a new session with default signals."""
    in_r, out_w, err_w = fds
    cpu_s = max(1, math.ceil(stage["cpuTimeMs"] / 1000))
    argv = [EXEC_HELPER, str(job["uid"]), str(cpu_s), str(stage["fileSizeBytes"]), str(stage["openFiles"]), str(stage.get("processes") or 0), "--", *stage["cmd"]]
    actions = [(os.POSIX_SPAWN_DUP2, fd, target) for fd, target in ((in_r, 0), (out_w, 1), (err_w, 2), (job["filterFd"], 3))]
    return os.posix_spawn(EXEC_HELPER, argv, env, file_actions=actions, setsid=True, setsigdef=DEFAULT_SIGNALS, setsigmask=())


def child_exit_wakeup():
    """A file descriptor that becomes readable when a child exits (SIGCHLD through
    Python's wakeup fd), so the loop below sleeps in select() and still learns of
    an exit at once, even when the program closed its output long before."""
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(w)
    return r


def drain(fd):
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def run_stage(stage, env, job, child_exited):
    stdin_data = base64.b64decode(stage.get("stdin", ""))
    cap = stage["outputBytes"]
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    oom_before = oom_kills()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    pid = spawn_program(stage, env, job, (in_r, out_w, err_w))
    os.close(in_r); os.close(out_w); os.close(err_w)

    sel = selectors.DefaultSelector()
    sel.register(child_exited, selectors.EVENT_READ)
    bufs = {out_r: bytearray(), err_r: bytearray()}
    for fd in (out_r, err_r):
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    os.set_blocking(in_w, False)
    pending_in = memoryview(stdin_data)
    if pending_in:
        sel.register(in_w, selectors.EVENT_WRITE)
    else:
        os.close(in_w)

    deadline = started + stage["wallTimeMs"] / 1000
    timed_out = output_exceeded = False
    status = rusage = exited_at = None
    while not output_exceeded:
        if status is None:
            done, st, ru = os.wait4(pid, os.WNOHANG)
            if done:
                status, rusage, exited_at = st, ru, time.monotonic()
        now = time.monotonic()
        if len(sel.get_map()) == 1 and status is not None:
            break  # output closed and the program reaped
        if status is not None and now - exited_at > DRAIN_GRACE_S:
            break  # background processes hold the pipes open; they are killed below
        if status is None and now >= deadline:
            timed_out = True
            break
        timeout = deadline - now if status is None else DRAIN_GRACE_S - (now - exited_at)
        for key, _ in sel.select(timeout=max(timeout, 0)):
            fd = key.fd
            if fd == child_exited:
                drain(fd)
                continue
            if fd == in_w:
                try:
                    n = os.write(in_w, pending_in[:65536])
                    pending_in = pending_in[n:]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    pending_in = memoryview(b"")
                if not pending_in:
                    sel.unregister(in_w); os.close(in_w)
                continue
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(fd); os.close(fd)
                continue
            buf = bufs[fd]
            room = cap - len(buf)
            buf += chunk[:max(room, 0)]
            if len(chunk) > room:
                output_exceeded = True  # the loop ends; the stage is killed below
    if status is None:
        os.kill(pid, signal.SIGKILL)
        _, status, rusage = os.wait4(pid, 0)
        exited_at = time.monotonic()
    kill_everything_else()
    sel.unregister(child_exited)
    for key in list(sel.get_map().values()):
        sel.unregister(key.fd); os.close(key.fd)

    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Everything the stage ran, background processes included: all were reaped here.
    cpu_ms = round((children_after.ru_utime - children_before.ru_utime + children_after.ru_stime - children_before.ru_stime) * 1000)
    oom_after = oom_kills()
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    return {
        "name": stage["name"],
        "exitCode": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": signal.Signals(sig).name if sig else None,
        "timeMs": round((exited_at - started) * 1000),
        "cpuTimeMs": cpu_ms,
        "memoryKb": rusage.ru_maxrss,
        "stdout": base64.b64encode(bytes(bufs[out_r])).decode(),
        "stderr": base64.b64encode(bytes(bufs[err_r])).decode(),
        "timedOut": timed_out,
        "cpuExceeded": cpu_ms > stage["cpuTimeMs"] or sig == signal.SIGXCPU,
        "outputExceeded": output_exceeded,
        "oomKilled": oom_before is not None and oom_after is not None and oom_after > oom_before,
    }
