"""Live output and interactive stdin of a job's run stage, on init's side.

Output: while the program runs, what it writes goes to the supervisor as
protocol lines on the report pipe, `{"output":{"stream","data"},"id"}` (data
base64), before init's final answer on the same pipe, so order holds. Sends
are paced by a token bucket: one token per COALESCE_S, at most BURST kept. A
write goes out at once while a token is left, so an interactive answer never
waits (an echo every ~20 ms would otherwise meet the pacing every time); a
program that writes without pause soon runs out and gets one send per
COALESCE_S, each carrying everything written meanwhile, or sooner once
FLUSH_BYTES are pending. Only bytes within the output cap are sent, so the
stream never carries more than the result.

Input: the supervisor keeps the request pipe open for an interactive job and
writes control lines to it, `{"stdin": base64}`, `{"eof": true}` or
`{"kill": true}`; init reads them in the stage's loop (never blocking on them).
"""
import base64
import json
import os
import time

COALESCE_S = 0.02
BURST = 4
FLUSH_BYTES = 16 * 1024


class LiveOutput:
    def __init__(self, report_fd, request_id):
        self.report_fd = report_fd
        self.request_id = request_id
        self.pieces = []  # [(stream, bytearray)], adjacent writes of one stream merged
        self.pending = 0
        self.tokens = float(BURST)
        self.refilled_at = time.monotonic()

    def add(self, stream, data):
        if not data:
            return
        if self.pieces and self.pieces[-1][0] == stream:
            self.pieces[-1][1].extend(data)
        else:
            self.pieces.append((stream, bytearray(data)))
        self.pending += len(data)
        if self.pending >= FLUSH_BYTES or self._refill() >= 1:
            self.flush()

    def _refill(self):
        now = time.monotonic()
        self.tokens = min(BURST, self.tokens + (now - self.refilled_at) / COALESCE_S)
        self.refilled_at = now
        return self.tokens

    def due_in(self):
        """Seconds until pending output must go out, or None when nothing is pending."""
        if not self.pieces:
            return None
        return max(0.0, (1 - self._refill()) * COALESCE_S)

    def flush(self):
        if not self.pieces:
            return
        lines = b"".join(
            json.dumps({"output": {"stream": stream, "data": base64.b64encode(bytes(data)).decode()}, "id": self.request_id}, separators=(",", ":")).encode() + b"\n"
            for stream, data in self.pieces
        )
        self.pieces, self.pending = [], 0
        view = memoryview(lines)
        while view:  # blocking: the supervisor reads promptly, and a stalled reader is its budget's to end
            view = view[os.write(self.report_fd, view):]
        self.tokens = max(0.0, self._refill() - 1)


class LiveInput:
    """Control lines from the supervisor; `leftover` is what followed the request line."""

    def __init__(self, fd, leftover=b""):
        self.fd = fd
        self.buffer = bytearray(leftover)
        self.closed = False
        os.set_blocking(fd, False)

    def read(self):
        """The control messages readable now (non-blocking); closed is set at the pipe's end."""
        try:
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                self.closed = True
            self.buffer += chunk
        except BlockingIOError:
            pass
        return self.pending()

    def pending(self):
        messages = []
        while b"\n" in self.buffer:
            line, _, rest = bytes(self.buffer).partition(b"\n")
            self.buffer = bytearray(rest)
            if line.strip():
                messages.append(json.loads(line))
        return messages


def decode_stdin(message):
    return base64.b64decode(message.get("stdin", ""))
