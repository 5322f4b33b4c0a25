"""A simulated strong teacher: an OpenAI-compatible ``/v1/chat/completions`` server on loopback that answers a
classification prompt from the gold label of the text it finds in it, wrong on a fixed share of texts (10 % by
default, chosen by a hash of the text: the same text always gets the same answer). It answers by function
calling (the tool the request offers), as a real server does for Tandem's ``openai:`` backend."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _normal(text: str) -> str:
    return " ".join(text.split())


class SimulatedTeacher:
    def __init__(self, gold: dict[str, str], labels: list[str], error_rate: float = 0.1) -> None:
        self.gold = {_normal(text): label for text, label in gold.items()}
        self.by_length = sorted(self.gold, key=len, reverse=True)
        self.labels = labels
        self.error_rate = error_rate
        self.calls = 0

    def answer(self, prompt: str) -> str:
        prompt = _normal(prompt)
        text = next((t for t in self.by_length if t and t in prompt), None)
        self.calls += 1
        if text is None:
            return self.labels[0]
        label = self.gold[text]
        if int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < self.error_rate:
            return next(other for other in self.labels if other != label)
        return label


def _handler(teacher: SimulatedTeacher) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = "\n".join(str(m.get("content") or "") for m in body.get("messages", []) if m.get("role") == "user")
            label = teacher.answer(prompt)
            arguments = json.dumps({"label": label})
            tools = body.get("tools") or []
            if tools:
                message: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [{
                    "id": "call_1", "type": "function",
                    "function": {"name": tools[0]["function"]["name"], "arguments": arguments}}]}
                finish = "tool_calls"
            else:
                message, finish = {"role": "assistant", "content": arguments}, "stop"
            payload = {"id": "sim", "object": "chat.completion", "created": 0, "model": body.get("model", "teacher"),
                       "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                       "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": 5,
                                 "total_tokens": len(prompt.split()) + 5}}
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def serve(teacher: SimulatedTeacher) -> Iterator[str]:
    """The server's base URL (``http://127.0.0.1:PORT/v1``) while the block runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(teacher))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
