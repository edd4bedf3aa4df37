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
  A stage with "stream" (or "interactive") true sends its output while it runs,
  before the response, as {"output":{"stream","data"},"id"} lines (live_io.py);
  one with "interactive" keeps its stdin open, and until the response the worker
  may send {"id","stdin"}, {"id","eof":true} or {"id","kill":true} lines, which
  go to the job's init; a control line for a job that has ended is ignored.
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


class Lines:
    """Newline-ended lines from a file descriptor, read without a buffered file
    object so select() on the fd tells the truth (an interactive job's control
    lines arrive on the worker's stream while we wait for init's answer)."""

    def __init__(self, fd):
        self.fd = fd
        self.partial = b""
        self.lines = []
        self.ended = False

    def fill(self):
        """One read (after select said readable); sets ended at the end of the stream."""
        chunk = os.read(self.fd, 1 << 20)
        self.ended = not chunk
        *complete, self.partial = (self.partial + chunk).split(b"\n")
        self.lines += complete

    def take(self):
        """The complete lines read so far."""
        lines, self.lines = self.lines, []
        return lines

    def next(self):
        """Blocks for the next line; None at the end of the stream."""
        while not self.lines:
            if self.ended:
                return None
            self.fill()
        return self.lines.pop(0)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def is_control(message):
    """A control line for an interactive job (stdin, eof, kill), not a job request."""
    return "stages" not in message and any(k in message for k in ("stdin", "eof", "kill"))


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

    def run(self, request, worker):
        """Hands the request to init and waits for its answer; if none comes within the
        stages' wall limits plus a grace, killing init ends the whole PID namespace.
        Meanwhile init's live output lines go to the worker as they come, and for an
        interactive job the worker's control lines go to init.
        The caller answers first and close()s after: tearing down is off the job's path."""
        if not self.init:
            return {"id": request.get("id"), "error": "could not create the job's namespaces"}
        interactive = any(s.get("interactive") for s in request.get("stages", []))
        to_init = bytearray(json.dumps(request).encode() + b"\n")
        if interactive:
            os.set_blocking(self.request_w, False)
            self.write_to_init(to_init)
        else:
            write_all(self.request_w, to_init)  # blocking is fine: init reads the request whole
            os.close(self.request_w)
            self.request_w = None
        budget = sum(s["wallTimeMs"] for s in request.get("stages", [])) / 1000 + ANSWER_GRACE_S
        deadline = time.monotonic() + budget
        report = Lines(self.report_r)
        while True:
            # Controls may have come in the same read as the request itself: take what is buffered first.
            for line in worker.take() if interactive else ():
                message = json.loads(line) if line.strip() else {}
                if is_control(message) and message.get("id") == request.get("id"):
                    message.pop("id")
                    to_init += json.dumps(message).encode() + b"\n"
            if to_init and self.request_w is not None:
                self.write_to_init(to_init)
            for line in report.take():
                if line.startswith(b'{"output"'):
                    write_all(1, line + b"\n")  # stdout is the worker's stream; whole lines, in order
                    continue
                return json.loads(line)
            if report.ended:
                return {"id": request.get("id"), "error": "job init ended without an answer"}
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.kill(self.init, signal.SIGKILL)
                return {"id": request.get("id"), "error": "job init did not answer in time"}
            reads = [self.report_r] + ([worker.fd] if interactive and not worker.ended else [])
            writes = [self.request_w] if interactive and to_init else []
            readable, writable, _ = select.select(reads, writes, [], remaining)
            if self.report_r in readable:
                report.fill()
            if worker.fd in readable:
                worker.fill()

    def write_to_init(self, pending):
        """Writes what the pipe takes now (non-blocking), dropping it from pending."""
        try:
            del pending[:os.write(self.request_w, pending)]
        except BlockingIOError:
            pass
        except BrokenPipeError:
            pending.clear()  # init is gone; its answer (or its absence) tells the rest

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
    worker = Lines(0)
    while True:
        line = worker.next()
        if line is None:
            break
        if not line.strip():
            continue
        request = {}
        try:
            request = json.loads(line)
            if is_control(request):
                continue  # for a job that has ended already: nothing to deliver it to
            response = prepared.run(request, worker)
        except Exception as e:  # a bad request must not kill the supervisor
            response = {"id": request.get("id"), "error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(response, separators=(",", ":")).encode() + b"\n")
        out.flush()
        prepared.close()
        prepared = PreparedJob(config)  # the next job's, while the worker reads this answer
    prepared.close()


if __name__ == "__main__":
    main()
