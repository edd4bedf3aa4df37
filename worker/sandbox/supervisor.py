"""Runplane sandbox supervisor: the long-lived process inside each warm container.

Why it exists: `docker exec` costs ~50 ms per call through the Engine API. The
supervisor is started with the container and reads jobs from its stdin (the
worker's attached stream), so running a job costs one fork+exec, close to a bare
spawn on the host.

Why it runs as root: it must not be reachable by the program it runs. It keeps
only CAP_SETUID, CAP_SETGID and CAP_KILL (the container drops the rest, with
no-new-privileges), and starts every program as uid/gid 1000 with no
capabilities at all, so the program cannot signal, trace or write to it.

Protocol (one JSON object per line, both ways; bytes are base64):
  request:  {"id", "files":[{"path","content"}], "stages":[{"name","cmd",
             "stdin","wallTimeMs","cpuTimeMs","outputBytes","fileSizeBytes",
             "openFiles","processes"?}]}
  response: {"id", "stages":[{"name","exitCode","signal","timeMs","cpuTimeMs",
             "memoryKb","stdout","stderr","timedOut","cpuExceeded",
             "outputExceeded","oomKilled","error"}]}
A stage that fails (non-zero exit or a limit) ends the job: later stages are
skipped. This file is bind-mounted read-only from the worker, so the worker and
its supervisor always speak the same protocol version.
"""
import base64
import ctypes
import json
import math
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time

UID = GID = 1000
WORK_DIR = "/work"
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": WORK_DIR, "LANG": "C.UTF-8", "TMPDIR": "/tmp", "OLLAMA_HOST": "127.0.0.1:11434"}
# The worker's AI gateway, bind-mounted when the worker offers AI (runc tier).
AI_SOCKET = "/run/runplane/ai.sock"
AI_PORT = 11434
# After the main process exits, how long to keep reading output that
# background children may still hold open before giving up on them.
DRAIN_GRACE_S = 0.05
# Loaded once here, not in each forked child (that would add milliseconds per job).
LIBC = ctypes.CDLL(None)


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


def write_files(files):
    for item in files:
        path = os.path.normpath(os.path.join(WORK_DIR, item["path"]))
        if not path.startswith(WORK_DIR + "/"):
            raise ValueError("file path escapes the work dir: %r" % item["path"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(item["content"]))
        if item.get("executable"):
            os.chmod(path, 0o700)


def set_no_new_privs():
    """Docker sets no_new_privs for the container already; set it again per program, explicitly."""
    if LIBC.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError("prctl(PR_SET_NO_NEW_PRIVS) failed")


def drop_privileges_and_limit(stage, files):
    """Runs in the child between fork and exec: become uid 1000, set rlimits, write the job's files."""
    os.setsid()
    set_no_new_privs()
    os.setgroups([])
    os.setresgid(GID, GID, GID)
    os.setresuid(UID, UID, UID)
    cpu_s = max(1, math.ceil(stage["cpuTimeMs"] / 1000))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (stage["fileSizeBytes"], stage["fileSizeBytes"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (stage["openFiles"], stage["openFiles"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if stage.get("processes"):
        resource.setrlimit(resource.RLIMIT_NPROC, (stage["processes"], stage["processes"]))
    os.umask(0o077)
    if files:
        write_files(files)
    os.chdir(WORK_DIR)


def run_stage(stage, files):
    stdin_data = base64.b64decode(stage.get("stdin", ""))
    cap = stage["outputBytes"]
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    oom_before = oom_kills()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(in_w); os.close(out_r); os.close(err_r)
            os.dup2(in_r, 0); os.dup2(out_w, 1); os.dup2(err_w, 2)
            for fd in (in_r, out_w, err_w):
                if fd > 2:
                    os.close(fd)
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            drop_privileges_and_limit(stage, files)
            os.execvpe(stage["cmd"][0], stage["cmd"], ENV)
        except BaseException as e:  # exec failed: report on the program's stderr
            try:
                os.write(2, ("runplane: cannot start %s: %s\n" % (stage["cmd"][0], e)).encode())
            finally:
                os._exit(127)
    os.close(in_r); os.close(out_w); os.close(err_w)

    sel = selectors.DefaultSelector()
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
    status = rusage = None
    exited_at = None

    def kill_all():
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    while True:
        if status is None:
            done, st, ru = os.wait4(pid, os.WNOHANG)
            if done:
                status, rusage, exited_at = st, ru, time.monotonic()
        open_fds = [k.fd for k in sel.get_map().values()]
        if not open_fds:
            if status is not None:
                break
        now = time.monotonic()
        if status is not None and now - exited_at > DRAIN_GRACE_S:
            break  # background processes keep the pipes open; the container dies with them
        if status is None and now >= deadline:
            timed_out = True
            kill_all()
            _, status, rusage = os.wait4(pid, 0)
            exited_at = time.monotonic()
            break
        timeout = min(deadline - now, 0.01) if status is None else DRAIN_GRACE_S
        for key, _ in sel.select(timeout=max(timeout, 0)):
            fd = key.fd
            if fd == in_w:
                try:
                    n = os.write(in_w, pending_in[:65536])
                    pending_in = pending_in[n:]
                except (BrokenPipeError, BlockingIOError) as e:
                    if isinstance(e, BlockingIOError):
                        continue
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
            if len(chunk) > room and not output_exceeded:
                output_exceeded = True
                kill_all()
    if status is None:
        _, status, rusage = os.wait4(pid, 0)
        exited_at = time.monotonic()
    kill_all()  # whatever the program left running in its session
    for key in list(sel.get_map().values()):
        sel.unregister(key.fd); os.close(key.fd)

    cpu_ms = round((rusage.ru_utime + rusage.ru_stime) * 1000)
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


WIPED_DIRS = (WORK_DIR, "/tmp", "/dev/shm")


def wipe_as_runner():
    """Empties the writable places and SysV IPC as uid 1000, who owns what a job
    wrote (root here cannot even list the 0700 work dir). Exit status 0 means
    everything is gone, verified by a second look."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([]); os.setresgid(GID, GID, GID); os.setresuid(UID, UID, UID)
            for top in WIPED_DIRS:
                for root, dirs, files in os.walk(top, topdown=False):
                    for name in files:
                        os.unlink(os.path.join(root, name))
                    for name in dirs:
                        path = os.path.join(root, name)
                        os.unlink(path) if os.path.islink(path) else os.rmdir(path)
            ipc = subprocess.run(["ipcrm", "--all"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            left = sum(len(ds) + len(fs) for top in WIPED_DIRS for _, ds, fs in os.walk(top))
            code = 0 if left == 0 and ipc.returncode == 0 else 2
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def cleanup():
    """Between two jobs of one tenant (opt-in reuse): kill every process the last
    job left (kill(-1) spares only this process and init), wipe its files and IPC,
    and say whether the container is clean; the worker destroys it if not."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    others = []
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())]
        if not others:
            break
        time.sleep(0.005)
    files_clean = wipe_as_runner()
    return {"clean": files_clean and not others, "processes": len(others)}


def handle(request):
    if request.get("cleanup"):
        return {"id": request["id"], **cleanup()}
    results = []
    files = request.get("files", [])
    for stage in request["stages"]:
        result = run_stage(stage, files)
        files = None  # written once, by the first stage
        results.append(result)
        failed = result["exitCode"] != 0 or result["timedOut"] or result["outputExceeded"] or result["oomKilled"]
        if failed:
            break
    return {"id": request["id"], "stages": results}


def _pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def start_ai_forwarder():
    """Forwards the container's own 127.0.0.1:11434 to the worker's AI gateway
    socket, so a standard Ollama client works with no network interface. The
    gateway, not this forwarder, decides what may pass (quotas, allowed routes)."""
    if not os.path.exists(AI_SOCKET):
        return
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", AI_PORT))
    listener.listen(64)

    def serve():
        while True:
            client, _ = listener.accept()
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(AI_SOCKET)
            except OSError:
                client.close()
                continue
            threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()


def main():
    # Non-dumpable: even a process of our own uid could not read our memory or fds.
    LIBC.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    start_ai_forwarder()
    out = sys.stdout.buffer
    out.write(b'{"ready":true}\n')
    out.flush()
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            response = handle(json.loads(line))
        except Exception as e:  # a bad request must not kill the supervisor
            response = {"id": None, "error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(response, separators=(",", ":")).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    main()
