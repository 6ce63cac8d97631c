"""A raw TCP server that sends a scripted HTTP answer slowly, byte by byte.

For the clients' whole-exchange deadlines: each byte arrives well within any read timeout,
so only a deadline on the whole exchange ends the request::

    with DripServer(head=b"HTTP/1.1 200 OK\\r\\nContent-Length: 1000\\r\\n\\r\\n",
                    body=b"%PDF-" + b"0" * 995, body_delay=0.1) as server:
        download_pdf(server.url("/x.pdf"), allowed_hosts=["127.0.0.1:*"], timeout=0.5)
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time


class DripServer:
    def __init__(self, *, head: bytes, body: bytes = b"", head_delay: float = 0.0, body_delay: float = 0.0) -> None:
        self.head = head
        self.body = body
        self.head_delay = head_delay
        self.body_delay = body_delay
        self.connections = 0
        self.disconnected = threading.Event()
        self._stop = threading.Event()
        server = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                server.connections += 1
                self.request.settimeout(5)
                try:
                    self.request.recv(65536)  # the request; its content does not matter
                    server._send(self.request, server.head, server.head_delay)
                    server._send(self.request, server.body, server.body_delay)
                except OSError:
                    server.disconnected.set()

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]

    def _send(self, sock: socket.socket, data: bytes, delay: float) -> None:
        if not delay:
            sock.sendall(data)
            return
        for index in range(len(data)):
            if self._stop.is_set():
                return
            sock.sendall(data[index : index + 1])
            time.sleep(delay)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> DripServer:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
