"""Forwards the container's own 127.0.0.1:11434 to the worker's AI gateway
socket, so a standard Ollama client works with no network interface. The
gateway, not this forwarder, decides what may pass (quotas, allowed routes).
Jobs share the container's network namespace, so this one listener serves them."""
import os
import socket
import threading

AI_SOCKET = "/run/runplane/ai.sock"  # bind-mounted when the worker offers AI (runc tier)
AI_PORT = 11434


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


def start():
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
