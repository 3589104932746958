"""A loopback web server serving a domain-proof file, for the verification tests (no network here)."""

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from apps.developer.domain_proof import PROOF_PATH


@contextmanager
def proof_server(routes: dict[str, tuple[int, dict, bytes]]):
    """Serve `routes` ({path: (status, headers, body)}) on 127.0.0.1; yields the port."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, headers, body = routes.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def serving_token(token: str) -> dict:
    return {PROOF_PATH: (200, {"Content-Type": "text/plain"}, f"{token}\n".encode())}
