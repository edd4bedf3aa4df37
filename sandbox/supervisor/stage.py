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

from live_io import decode_stdin

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


class StdinFeed:
    """The program's stdin: what the request gave, then (interactive) what
    arrives while it runs, written without blocking; closed once everything is
    written and no more can come (eof), so the program reads its end."""

    def __init__(self, sel, fd, data, keep_open):
        self.sel, self.fd = sel, fd
        self.pending = bytearray(data)
        self.ending = not keep_open
        self.watched = False
        self.open = True
        self._update()

    def add(self, data):
        if self.open and not self.ending:
            self.pending += data
            self._update()

    def end(self):
        self.ending = True
        self._update()

    def write(self):
        try:
            del self.pending[:os.write(self.fd, self.pending[:65536])]
        except BlockingIOError:
            return
        except BrokenPipeError:
            self.pending.clear()
            self.ending = True  # the program closed its stdin: nothing more can reach it
        self._update()

    def _update(self):
        if not self.open:
            return
        if self.pending and not self.watched:
            self.sel.register(self.fd, selectors.EVENT_WRITE)
            self.watched = True
        elif not self.pending and self.watched:
            self.sel.unregister(self.fd)
            self.watched = False
        if not self.pending and self.ending:
            self.close()

    def close(self):
        if self.open:
            if self.watched:
                self.sel.unregister(self.fd)
                self.watched = False
            os.close(self.fd)
            self.open = False


def apply_controls(messages, stdin):
    """Feeds stdin controls to the program's stdin; True when one asks for a kill."""
    killed = False
    for message in messages:
        if message.get("kill"):
            killed = True
        elif message.get("eof"):
            stdin.end()
        else:
            stdin.add(decode_stdin(message))
    return killed


def run_stage(stage, env, job, child_exited, live_out=None, live_in=None):
    """live_out (a LiveOutput) gets the output as it comes; live_in (a LiveInput)
    keeps stdin open for more data until its eof, and may ask for a kill."""
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
    names = {out_r: "stdout", err_r: "stderr"}
    for fd in (out_r, err_r):
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
    os.set_blocking(in_w, False)
    stdin = StdinFeed(sel, in_w, stdin_data, keep_open=live_in is not None)
    killed = False
    if live_in is not None:
        sel.register(live_in.fd, selectors.EVENT_READ)
        # Controls that came in the same read as the request: no readable fd will announce them.
        killed = apply_controls(live_in.pending(), stdin)

    deadline = started + stage["wallTimeMs"] / 1000
    timed_out = output_exceeded = False
    status = rusage = exited_at = None
    while not output_exceeded and not killed:
        if status is None:
            done, st, ru = os.wait4(pid, os.WNOHANG)
            if done:
                status, rusage, exited_at = st, ru, time.monotonic()
        now = time.monotonic()
        if status is not None and not any(fd in sel.get_map() for fd in bufs):
            break  # output closed and the program reaped
        if status is not None and now - exited_at > DRAIN_GRACE_S:
            break  # background processes hold the pipes open; they are killed below
        if status is None and now >= deadline:
            timed_out = True
            break
        timeout = deadline - now if status is None else DRAIN_GRACE_S - (now - exited_at)
        due = live_out.due_in() if live_out is not None else None
        if due is not None:
            timeout = min(timeout, due)
        for key, _ in sel.select(timeout=max(timeout, 0)):
            fd = key.fd
            if fd == child_exited:
                drain(fd)
                continue
            if fd == in_w:
                stdin.write()
                continue
            if live_in is not None and fd == live_in.fd:
                killed = apply_controls(live_in.read(), stdin) or killed
                if live_in.closed:
                    sel.unregister(fd)
                    stdin.end()
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
            kept = chunk[:max(room, 0)]
            buf += kept
            if live_out is not None:
                live_out.add(names[fd], kept)
            if len(chunk) > room:
                output_exceeded = True  # the loop ends; the stage is killed below
        if live_out is not None and live_out.due_in() == 0:
            live_out.flush()
    if live_out is not None:
        live_out.flush()
    if status is None:
        os.kill(pid, signal.SIGKILL)
        _, status, rusage = os.wait4(pid, 0)
        exited_at = time.monotonic()
    kill_everything_else()
    sel.unregister(child_exited)
    if live_in is not None and not live_in.closed:
        sel.unregister(live_in.fd)  # init's to keep: it is the request pipe
    stdin.close()
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
        "killed": killed,
        "oomKilled": oom_before is not None and oom_after is not None and oom_after > oom_before,
    }
