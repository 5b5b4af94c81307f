"""A real HTTP receiver of webhooks on loopback, scripted by the test."""

import http.server
import threading

import fixtures


class Receiver(fixtures.Fixture):
    """Records every POST; answers with ``statuses`` in turn, then 200.

    With ``hold`` set, each request waits (in the server's thread) until
    the test calls ``release()``; ``held`` is set when one is waiting.
    """

    def __init__(self, statuses=(), hold: bool = False):
        super().__init__()
        self.statuses = list(statuses)
        self.hold = hold

    def _setUp(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.held = threading.Event()
        self._release = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers['Content-Length']))
                receiver.requests.append((dict(self.headers), body))
                if receiver.hold:
                    receiver.held.set()
                    receiver._release.wait(60)
                status = (receiver.statuses.pop(0) if receiver.statuses
                          else 200)
                self.send_response(status)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.server.daemon_threads = True
        thread = threading.Thread(target=self.server.serve_forever,
                                  daemon=True)
        thread.start()
        self.addCleanup(thread.join, 10)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.addCleanup(self.release)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}/hook'

    def release(self):
        self._release.set()
