"""A small OpenAI-compatible `/v1/embeddings` server on loopback, for the provider tests.

Vectors are hashed bags of words (64 numbers, unit length), so texts sharing words are similar
and the same text always gets the same vector. The model name picks a misbehaviour:
`broken` answers 500, `garbage` answers HTML, `short` returns one vector too few, `hang` holds
the request until the server stops (a timeout test needs no sleep).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

DIMENSION = 64


def fake_vector(text: str, dimension: int = DIMENSION) -> list[float]:
    vector = [0.0] * dimension
    for word in re.findall(r"\w+", text.lower()):
        vector[int(hashlib.sha256(word.encode()).hexdigest(), 16) % dimension] += 1.0
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


class FakeOpenAI:
    def __init__(self, key: str | None = "test-key"):
        self.key = key
        self.batches: list[list[str]] = []  # the inputs of each request, in order
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path != "/v1/embeddings":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                if server.key and self.headers.get("Authorization") != f"Bearer {server.key}":
                    return self._send(401, {"error": {"message": "Incorrect API key provided"}})
                model, texts = body["model"], body["input"]
                server.batches.append(texts)
                if model == "hang":
                    server.release.wait(10)
                    return self._send(500, {"error": {"message": "released"}})
                if model == "broken":
                    return self._send(500, {"error": {"message": "model crashed"}})
                if model == "garbage":
                    return self._send(200, "<html>hello</html>")
                data = [{"object": "embedding", "index": i, "embedding": fake_vector(t)} for i, t in enumerate(texts)]
                if model == "short":
                    data = data[:-1]
                data.reverse()  # answers may come in any order: the index field says which is which
                self._send(200, {"object": "list", "model": model, "data": data})

            def _send(self, status: int, payload) -> None:
                raw = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        # serve_forever notices shutdown() only between polls (0.5 s by default: most of a test's time)
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,), daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
