"""A local stand-in for GOV.UK's Content API and its attachment files, on 127.0.0.1 only.

Answers ``/api/content/<path>`` in the Content API's own shape for a ``statistical_data_set``
(``document_type``, ``public_updated_at``, ``details.attachments[]`` with title, filename, url,
content_type) and serves the attachment files the test builds under ``/media/...``.

    with GovukServer() as srv:
        srv.page("/government/statistical-data-sets/x", [srv.file("a.csv", data, "A title")])
        os.environ["AAM_GOVUK_API"] = srv.base
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PORTS = range(8641, 8650)  # this work's own range on the shared machine

CONTENT_TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}


class GovukServer:
    """Content items and files held in memory; `log` lists every path asked for."""

    def __init__(self) -> None:
        self.pages: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.log: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    # --- content ------------------------------------------------------------------------------
    def file(self, filename: str, data: bytes, title: str) -> dict[str, Any]:
        """Serve `data` at /media/<filename>; returns the attachment as the Content API lists it."""
        path = f"/media/test/{filename}"
        self.files[path] = data
        suffix = filename[filename.rfind("."):].lower()
        return {"attachment_type": "file", "id": filename, "title": title, "filename": filename,
                "url": self.base + path, "content_type": CONTENT_TYPES.get(suffix, "application/octet-stream"),
                "file_size": len(data)}

    def page(self, path: str, attachments: list[dict[str, Any]], updated: str = "2026-05-21T09:30:00.000+01:00",
             title: str = "Statistical data set") -> None:
        self.pages[path] = {
            "base_path": path, "content_id": f"id-{len(self.pages)}", "document_type": "statistical_data_set",
            "schema_name": "statistical_data_set", "title": title, "locale": "en",
            "first_published_at": "2016-05-26T09:30:00.000+01:00", "public_updated_at": updated,
            "details": {"attachments": attachments, "body": "<p>Data tables.</p>", "change_history": []},
            "links": {},
        }

    # --- server -------------------------------------------------------------------------------
    @property
    def base(self) -> str:
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> GovukServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path.split("?", 1)[0]
                owner.log.append(path)
                if path.startswith("/api/content/"):
                    item = owner.pages.get(path[len("/api/content"):])
                    body = json.dumps(item or {"error": {"code": 404, "message": "not found"}}).encode()
                    self._send(200 if item else 404, body, "application/json")
                elif path in owner.files:
                    self._send(200, owner.files[path], "application/octet-stream")
                else:
                    self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        last: OSError | None = None
        for port in PORTS:
            try:
                self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError as exc:
                last = exc
        if self._server is None:
            raise RuntimeError(f"no free port in {PORTS}: {last}")
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
