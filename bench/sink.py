"""The SMTP sink every benchmark delivers into, on 127.0.0.1, optionally counting what arrives.

The sink is Postfix's ``smtp-sink`` when it can be found (``--sink``, ``$SMTP_SINK`` or PATH;
bench/README.md shows how to get it without installing Postfix), else a small asyncio sink in
a subprocess (slower, so it caps the fastest senders). With ``count=True`` the sink reports each
message it receives (``smtp-sink -c`` prints ``sess=.. quit=.. mesg=N`` counters), so a
benchmark can tell when mail has arrived rather than when a sender said it was accepted.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from typing import IO

FALLBACK_SCRIPT = r"""
import asyncio, sys
COUNT = "count" in sys.argv[2:]
EXTENSIONS = b"250-sink\r\n250 8BITMIME\r\n" if "nopipelining" in sys.argv[2:] else (
    b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
)
received = 0
async def handle(reader, writer):
    global received
    writer.write(b"220 sink ESMTP\r\n")
    data = False
    while True:
        line = await reader.readline()
        if not line:
            break
        if data:
            if line == b".\r\n":
                data = False
                received += 1
                if COUNT:
                    sys.stdout.write(f"mesg={received}\r")
                    sys.stdout.flush()
                writer.write(b"250 2.0.0 Ok\r\n")
            continue
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            writer.write(EXTENSIONS)
        elif verb == b"DATA":
            data = True
            writer.write(b"354 go\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            break
        else:
            writer.write(b"250 Ok\r\n")
        await writer.drain()
    writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""

_MESSAGES = re.compile(rb"mesg=(\d+)\r")


def default_sink_path() -> str | None:
    """``$SMTP_SINK``, else ``smtp-sink`` on PATH, else None (the asyncio sink)."""
    return os.environ.get("SMTP_SINK") or shutil.which("smtp-sink")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Sink:
    """A running sink: ``port``, ``name``, and with counting ``received`` and ``last_arrival``."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, name: str) -> None:
        self.process = process
        self.port = port
        self.name = name
        self.received = 0
        """Messages the sink has received so far (stays 0 unless started with ``count=True``)."""
        self.last_arrival = 0.0
        """``time.perf_counter()`` when ``received`` last grew."""
        self.first_arrival: float | None = None
        """``time.perf_counter()`` of the first arrival since ``watch_first()``, or None."""
        self._watching_from: int | None = None
        self._reader: threading.Thread | None = None

    def _follow(self, stream: IO[bytes]) -> None:
        """Read the sink's counters until it exits (a full pipe would stall the sink)."""
        fd = stream.fileno()
        tail = b""
        while chunk := os.read(fd, 65536):
            found = _MESSAGES.findall(tail + chunk)  # a counter may straddle two reads
            tail = (tail + chunk)[-64:]
            if found and int(found[-1]) > self.received:
                self.last_arrival = time.perf_counter()
                self.received = int(found[-1])
                since = self._watching_from
                if since is not None and self.first_arrival is None and self.received > since:
                    self.first_arrival = self.last_arrival

    def watch_first(self) -> None:
        """Record in ``first_arrival`` when the next message arrives (None until then)."""
        self.first_arrival = None
        self._watching_from = self.received

    def wait_for(self, count: int, timeout: float = 5) -> bool:
        """Wait until ``received`` reaches ``count`` (its reader may lag a moment behind the
        sink); False if it has not after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.received < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def stop(self) -> None:
        """Kill the sink (by its pid) and wait for it; safe to call twice."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        if self._reader is not None:
            self._reader.join(timeout=10)


def start_sink(path: str | None, *, count: bool = False, pipelining: bool = True) -> Sink:
    """Start the sink on a free port and return once it accepts connections; it offers
    PIPELINING unless ``pipelining`` is false.

    Raises SystemExit if it does not within 10 seconds (after killing it).
    """
    port = free_port()
    stdout = subprocess.PIPE if count else subprocess.DEVNULL
    if path:
        env = dict(os.environ)
        libdir = os.path.join(os.path.dirname(os.path.dirname(path)), "lib", "postfix")
        if os.path.isdir(libdir):
            env["LD_LIBRARY_PATH"] = libdir
        flags = (["-c"] if count else []) + ([] if pipelining else ["-p"])
        args = [path, *flags, "-u", "nobody", f"127.0.0.1:{port}", "1000"]
        sink = Sink(subprocess.Popen(args, env=env, stdout=stdout), port, "postfix smtp-sink")
    else:
        options = (["count"] if count else []) + ([] if pipelining else ["nopipelining"])
        args = [sys.executable, "-c", FALLBACK_SCRIPT, str(port), *options]
        sink = Sink(subprocess.Popen(args, stdout=stdout), port, "asyncio sink (subprocess)")
    if count:
        assert sink.process.stdout is not None
        sink._reader = threading.Thread(target=sink._follow, args=(sink.process.stdout,))
        sink._reader.daemon = True
        sink._reader.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return sink
        except OSError:
            time.sleep(0.05)
    sink.stop()
    raise SystemExit("the sink did not start")
