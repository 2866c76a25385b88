"""Stand-in kernel process: asks the report kernel fork server for a kernel and waits on it.

Run as a script (``python -I _kernel_launcher.py SOCKET SERVER_PID CONNECTION_FILE``), never
imported: it uses the standard library only, so it starts in a few milliseconds.
jupyter_client sees this process as "the kernel": it forwards SIGINT and SIGTERM to
the real kernel (a child of the fork server), and exits with the kernel's exit status
when the kernel ends. If this process is killed outright (SIGKILL), the fork server
sees its connection close and kills the kernel, so no kernel outlives its launcher.
See :mod:`toolkit.reports.kernels`.
"""

import json
import os
import signal
import socket
import sys
import time


def main(argv: list[str]) -> int:
    socket_path, server_pid, connection_file = argv[1], int(argv[2]), argv[3]
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    deadline = time.monotonic() + 300
    while True:  # the server appears once its imports are done
        try:
            conn.connect(socket_path)
            break
        except (FileNotFoundError, ConnectionRefusedError) as err:
            try:
                os.kill(server_pid, 0)
            except ProcessLookupError:
                print(f"report kernel server {server_pid} has stopped: {err}", file=sys.stderr)
                return 1
            if time.monotonic() > deadline:
                print(f"report kernel server not ready at {socket_path}", file=sys.stderr)
                return 1
            time.sleep(0.02)
    request = {
        "connection_file": os.path.abspath(connection_file),
        "cwd": os.getcwd(),
        "env": dict(os.environ),
    }
    conn.sendall(json.dumps(request).encode("utf-8") + b"\n")
    reader = conn.makefile("r", encoding="utf-8")
    first = reader.readline().split()
    if len(first) != 2 or first[0] != "pid":
        print(f"report kernel server refused: {' '.join(first)}", file=sys.stderr)
        return 1
    kernel = int(first[1])

    def forward(signum, frame):
        try:
            os.kill(kernel, signum)
        except ProcessLookupError:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, forward)
    while True:
        try:
            line = reader.readline()
        except InterruptedError:  # pragma: no cover - PEP 475 retries reads
            continue
        if not line:  # the server went away: so did the kernel
            return 1
        parts = line.split()
        if parts and parts[0] == "exit":
            code = int(parts[1])
            return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
