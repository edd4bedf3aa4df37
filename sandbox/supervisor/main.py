"""Runplane sandbox supervisor: the long-lived main process of each warm container.

Why it exists: `docker exec` costs ~50 ms per call through the Engine API and a
container per job ~200 ms of engine CPU. The supervisor is started with the
container and reads jobs from its stdin (the worker's attached stream); each
job runs in fresh namespaces (namespaces.py), made ahead while the container
is idle, so a container
serves job after job, of any tenant, and no state of one job reaches the next.

Privileges: the supervisor is root in the container with CAP_SYS_ADMIN (to make
namespaces and mounts), CAP_SETUID/SETGID (to drop to the job uid) and CAP_KILL;
the container has no-new-privileges and no other capability. No user program
ever holds any of them: each program starts as the container's job uid (a uid
of its own per container, argv[1]) with no capabilities, and
every program runs under program_filter.py's seccomp filter. The supervisor
and each job's init are non-dumpable and of another uid (0), so a program
cannot signal, trace or write to them or forge its result.

Protocol (one JSON object per line, both ways; bytes are base64):
  request:  {"id", "files":[{"path","content"}], "outputs"?:{"patterns","maxFiles","maxBytes"}, "stages":[{"name","cmd",
             "stdin","wallTimeMs","cpuTimeMs","outputBytes","fileSizeBytes",
             "openFiles","processes"?}], "collect"?:{"maxBytes","maxFiles"}}
  response: {"id", "stages":[{"name","exitCode","signal","timeMs","cpuTimeMs",
             "memoryKb","stdout","stderr","timedOut","cpuExceeded",
             "outputExceeded","oomKilled"}], "workDir"?:[{"path","content",
             "executable"}], "collectError"?, "outputs"?:{"files":[{"path","size",
             "content"}],"truncated"}}  or  {"id", "error"}
"collect" asks for the work dir's regular files after the stages (when all
succeeded): a program compiled once, carried into each test's fresh work dir.
"outputs" (outputs.py) comes back when the request asked and the run stage ran.
A stage that fails (non-zero exit or a limit) ends the job: later stages are
skipped. This directory is bind-mounted read-only from the worker, so the
worker and its supervisor always speak the same protocol version.
"""
import ctypes
import json
import os
import select
import signal
import sys
import time

# -I -S leave out the script's directory and site-packages; name exactly what we import.
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), "/usr/lib/python3/dist-packages"]

import ai_forwarder  # noqa: E402
import job_init  # noqa: E402
import namespaces  # noqa: E402
import program_filter  # noqa: E402

LIBC = ctypes.CDLL(None, use_errno=True)
PR_SET_DUMPABLE = 4
# How long past the stages' own wall limits a job's init may take to answer.
ANSWER_GRACE_S = 5


def read_line(fd, deadline):
    """Reads one newline-ended answer (b"" if fd ends first), or None when the
    deadline passes first. Not to the end of fd: that would wait for init's exit."""
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b""
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                return b"".join(chunks)


class PreparedJob:
    """A job's namespaces made ahead of its request, off the job's path: a child
    that unshares PID, mount, IPC and UTS namespaces and forks the job's init
    (pid 1 there), which mounts the job's file systems, drops what it no longer
    needs and waits for the request on a pipe. The child only waits for init
    (gVisor has no PR_SET_CHILD_SUBREAPER to hand init to us). Nothing has run
    in these namespaces yet: they are as fresh as if made on request."""

    def __init__(self, config):
        request_r, self.request_w = os.pipe()
        self.report_r, report_w = os.pipe()
        pid_r, pid_w = os.pipe()
        self.child = os.fork()
        if self.child == 0:
            code = 1
            try:
                os.close(self.request_w); os.close(self.report_r); os.close(pid_r)
                namespaces.unshare(namespaces.JOB_NAMESPACES)
                init = os.fork()
                if init == 0:
                    os.close(pid_w)
                    job_init.main(config, request_r, report_w)  # never returns
                os.close(request_r); os.close(report_w)
                os.write(pid_w, str(init).encode())
                os.close(pid_w)
                os.waitpid(init, 0)
                code = 0
            finally:
                os._exit(code)
        os.close(request_r); os.close(report_w); os.close(pid_w)
        self.init = int(os.read(pid_r, 32) or 0)
        os.close(pid_r)

    def run(self, request):
        """Hands the request to init and waits for its answer; if none comes within the
        stages' wall limits plus a grace, killing init ends the whole PID namespace.
        The caller answers first and close()s after: tearing down is off the job's path."""
        if not self.init:
            return {"id": request.get("id"), "error": "could not create the job's namespaces"}
        data = memoryview(json.dumps(request).encode())
        while data:
            data = data[os.write(self.request_w, data):]
        os.close(self.request_w)
        self.request_w = None
        budget = sum(s["wallTimeMs"] for s in request.get("stages", [])) / 1000 + ANSWER_GRACE_S
        raw = read_line(self.report_r, time.monotonic() + budget)
        if raw is None:
            os.kill(self.init, signal.SIGKILL)
            return {"id": request.get("id"), "error": "job init did not answer in time"}
        if not raw:
            return {"id": request.get("id"), "error": "job init ended without an answer"}
        return json.loads(raw)

    def close(self):
        if self.request_w is not None:
            os.close(self.request_w)  # init reads an empty request and exits
            self.request_w = None
        if self.report_r is not None:
            os.close(self.report_r)
            self.report_r = None
            os.waitpid(self.child, 0)


def main():
    # Non-dumpable: even a process of our own uid could not read our memory or fds.
    LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    config = {
        # From the command line, not the environment: gVisor lets programs read other processes' environ.
        "uid": int(sys.argv[1]),
        "workDirMb": int(sys.argv[2]),
        "procMasks": namespaces.container_proc_masks(),
        "filterFd": program_filter.export(),
    }
    ai_forwarder.start()
    prepared = PreparedJob(config)
    out = sys.stdout.buffer
    out.write(b'{"ready":true}\n')
    out.flush()
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        request = {}
        try:
            request = json.loads(line)
            response = prepared.run(request)
        except Exception as e:  # a bad request must not kill the supervisor
            response = {"id": request.get("id"), "error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(response, separators=(",", ":")).encode() + b"\n")
        out.flush()
        prepared.close()
        prepared = PreparedJob(config)  # the next job's, while the worker reads this answer
    prepared.close()


if __name__ == "__main__":
    main()
