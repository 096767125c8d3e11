"""A TCP forwarder on 127.0.0.1 in front of a simulator: a channel that can be taken down.

`TcpProxy` accepts connections on a port of its own and pipes each to the target, byte for
byte, in two threads. It notes the request line of every HTTP request that passes (the
simulators keep no log of their own), and `cut` takes the channel down the way a network or a
channel's outage does: it stops listening (new connections are refused) and closes every open
connection mid-stream. `restore` listens again on the same port: the channel is back.
`cut_when` cuts as a chosen request arrives, before it reaches the channel.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable
from typing import Final

__all__ = ["TcpProxy"]

_REQUEST_LINE: Final = re.compile(rb"(GET|POST|PUT|PATCH|DELETE) (\S+) HTTP/1\.[01]\r\n")
_CHUNK: Final = 65536


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.requests: list[str] = []  # "GET /path?query", in the order they passed
        self.cut_when: Callable[[str], bool] | None = None
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    restore = start

    def cut(self) -> None:
        """The channel goes down: no new connections, and every open one is dropped."""
        with self._lock:
            listener, self._listener = self._listener, None
            open_sockets, self._sockets = self._sockets, set()
        if listener is not None:
            listener.close()
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    stop = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by `cut`
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    upstream.close()
                    return
                self._sockets |= {client, upstream}
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, requests: bool) -> None:
        pending = b""
        try:
            while data := source.recv(_CHUNK):
                if requests:
                    pending += data
                    end = 0
                    for found in _REQUEST_LINE.finditer(pending):
                        line = f"{found.group(1).decode()} {found.group(2).decode()}"
                        with self._lock:
                            self.requests.append(line)
                        if self.cut_when is not None and self.cut_when(line):
                            self.cut_when = None
                            self.cut()
                            return
                        end = found.end()
                    pending = pending[end:][-1024:]  # a request line split across reads
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._sockets -= {source, sink}
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
