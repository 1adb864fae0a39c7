"""The OpenAPI paths of the management operations (``web/manage.py``)."""

from __future__ import annotations

from typing import Any

_SESSION = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def _done(summary: str, *params: dict[str, Any], status: str = "204") -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [_SESSION, *params],
        "responses": {status: {"description": "Done"}, "404": {"description": "Not found"}},
    }


def manage_paths() -> dict[str, Any]:
    s = "/sessions/{session_id}"
    rename = _done('Rename the session (JSON body {"name": ...})', status="200")
    rename["requestBody"] = {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"name": {"type": "string", "maxLength": 120}},
                    "required": ["name"],
                }
            }
        }
    }
    return {
        s: {
            "patch": rename,
            "delete": _done("Delete the session with its files, jobs, invoices and images"),
        },
        f"{s}/files/{{file_id}}/retry": {
            "post": _done("Queue a failed file again", _id("file_id"), status="202")
        },
        f"{s}/files/{{file_id}}": {
            "delete": _done("Remove a file with its invoices", _id("file_id"))
        },
        f"{s}/rejected/{{rejected_id}}": {
            "delete": _done("Forget a refused upload", _id("rejected_id"))
        },
        f"{s}/invoices/{{invoice_id}}": {"delete": _done("Remove one invoice", _id("invoice_id"))},
    }
