"""The job's init: pid 1 of the job's PID namespace. Made before its job
arrives, it sets up the job's file systems while it holds CAP_SYS_ADMIN, then
keeps only CAP_KILL, CAP_SETUID and CAP_SETGID (to start each program as the
job uid and to kill whatever a stage leaves) and waits for the request. Then it
writes the job's files as the job uid, runs its stages (stage.py) and reports
one JSON answer to the supervisor. Its exit ends the namespace and
everything left in it.

It stays uid 0 on purpose: a program of the job uid cannot signal it, trace it
or open its file descriptors through /proc (gVisor allows that last one between
processes of one uid even when they are not dumpable, so sharing the program's
uid would let a program write into the answer pipe)."""
import base64
import ctypes
import json
import os
import signal
import stat

import namespaces
import outputs
from live_io import LiveInput, LiveOutput
from stage import child_exit_wakeup, run_stage

LIBC = ctypes.CDLL(None, use_errno=True)
WORK_DIR = namespaces.WORK_DIR
CAP_KILL, CAP_SETGID, CAP_SETUID = 5, 6, 7
LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def keep_only_capabilities(*caps):
    """capset(2): no library in the image wraps it, and it is two structs."""
    mask = sum(1 << c for c in caps)
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)(_CapData(mask, mask, 0), _CapData(0, 0, 0))
    if LIBC.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def program_env():
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": WORK_DIR, "LANG": "C.UTF-8", "TMPDIR": "/tmp",
        "USER": "runner", "LOGNAME": "runner", "OLLAMA_HOST": "127.0.0.1:11434",
    }


def as_job_uid(uid, action, *args):
    """As the job uid (effective ids only, restored after): the program owns its files,
    and init holds no capability to read what the job uid could not."""
    os.setegid(uid)
    os.seteuid(uid)
    try:
        return action(*args)
    finally:
        os.seteuid(0)
        os.setegid(0)


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


def collect_work_dir(uid, max_bytes, max_files):
    """The work dir as the stages left it (the compiled program beside its sources),
    for the worker to lay into each test's fresh work dir. Read as the job uid,
    so nothing is read that the program could not read itself; only regular
    files, never through a symlink (lstat, O_NOFOLLOW, directories not followed)."""
    os.setegid(uid)
    os.seteuid(uid)
    try:
        files, total = [], 0
        too_much = "the work dir after compiling holds more than %d files or %d bytes" % (max_files, max_bytes)
        for root, _dirs, names in os.walk(WORK_DIR):
            for name in sorted(names):
                path = os.path.join(root, name)
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
                if len(files) >= max_files:
                    return None, too_much
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                try:
                    mode = os.fstat(fd).st_mode
                    if not stat.S_ISREG(mode):
                        continue
                    content = os.read(fd, max_bytes - total + 1)  # bounded: a file may not be what lstat said
                finally:
                    os.close(fd)
                total += len(content)
                if total > max_bytes:
                    return None, too_much
                files.append({
                    "path": os.path.relpath(path, WORK_DIR),
                    "content": base64.b64encode(content).decode(),
                    "executable": bool(mode & stat.S_IXUSR),
                })
        return files, None
    finally:
        os.seteuid(0)
        os.setegid(0)


def read_request(fd):
    """The request is the first line. For an interactive job the pipe stays open
    and control lines follow (live_io.py): returns (request, the bytes read past
    the request line); for any other job the pipe is closed here."""
    data = bytearray()
    while b"\n" not in data:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        data += chunk
    line, _, rest = bytes(data).partition(b"\n")
    request = json.loads(line) if line.strip() else None
    if not (request and any(s.get("interactive") for s in request.get("stages", []))):
        os.close(fd)
    return request, rest


def prepare(config):
    """Before the request: the job's file systems, then only the capabilities still needed."""
    namespaces.mount_job_filesystems(config["uid"], config["workDirMb"], config["procMasks"])
    keep_only_capabilities(CAP_KILL, CAP_SETUID, CAP_SETGID)
    os.umask(0o077)


def run(request, config, report_fd, control_fd, leftover):
    uid = config["uid"]
    as_job_uid(uid, write_files, request.get("files", []))
    env = program_env()
    child_exited = child_exit_wakeup()
    results = []
    for stage in request["stages"]:
        live_out = LiveOutput(report_fd, request["id"]) if stage.get("stream") or stage.get("interactive") else None
        live_in = LiveInput(control_fd, leftover) if stage.get("interactive") else None
        result = run_stage(stage, env, config, child_exited, live_out, live_in)
        results.append(result)
        if result["exitCode"] != 0 or result["timedOut"] or result["outputExceeded"] or result["oomKilled"]:
            break
    else:
        collect = request.get("collect")
        if collect:
            files, error = collect_work_dir(uid, collect["maxBytes"], collect["maxFiles"])
            return {"id": request["id"], "stages": results, **({"workDir": files} if error is None else {"collectError": error})}
    response = {"id": request["id"], "stages": results}
    # The files a run left, whatever its verdict (a failed run's files help to see why).
    if request.get("outputs") and any(r["name"] == "run" for r in results):
        response["outputs"] = as_job_uid(uid, outputs.collect, WORK_DIR, request["outputs"])
    return response


def main(config, request_fd, report_fd):
    code = 0
    request = {}
    try:
        # Nothing of the supervisor's stream for us or the program. A pipe of our own
        # rather than /dev/null: gVisor lets a program reopen another process's fds
        # through /proc when the file's own mode allows it, and /dev/null's does.
        idle_r, idle_w = os.pipe()
        for fd in (0, 1, 2):
            os.dup2(idle_r if fd == 0 else idle_w, fd)
        os.close(idle_r); os.close(idle_w)
        # Only signals with a handler reach pid 1 from inside its namespace: install none.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, signal.SIG_DFL)
        prepare(config)
        request, leftover = read_request(request_fd)
        if request is None:
            os._exit(0)  # the container is going away before a job came
        response = run(request, config, report_fd, request_fd, leftover)
    except BaseException as e:
        response = {"id": request.get("id"), "error": "%s: %s" % (type(e).__name__, e)}
        code = 1
    try:
        data = json.dumps(response, separators=(",", ":")).encode() + b"\n"  # JSON has no raw newline
        view = memoryview(data)
        while view:
            view = view[os.write(report_fd, view):]
    finally:
        os._exit(code)
