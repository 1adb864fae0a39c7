"""The OpenAPI 3.1 document of ``/api/v1``, built from the pydantic models."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .. import __version__
from . import matching_schemas, schemas
from .matching_openapi import matching_paths
from .openapi_manage import manage_paths
from .seller_openapi import MODELS as SELLER_MODELS
from .seller_openapi import seller_paths
from .supplier_openapi import MODELS as SUPPLIER_MODELS
from .supplier_openapi import supplier_paths

_REF = "#/components/schemas/{model}"


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


_ERRORS = {
    "400": _json(schemas.ErrorResponse, "Bad request"),
    "404": _json(schemas.ErrorResponse, "No such session (or not yours), invoice or file"),
}
_SESSION = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "string"}}
_INVOICE = {"name": "invoice_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_IDS = {
    "name": "ids",
    "in": "query",
    "required": False,
    "description": "Comma-separated invoice ids (default: all).",
    "schema": {"type": "string"},
}


def _paths() -> dict[str, Any]:
    s = "/sessions/{session_id}"
    return {
        "/sessions": {
            "post": {
                "summary": "Create a session; the response holds its owner token",
                "responses": {"201": _json(schemas.SessionCreated, "Created")},
            }
        },
        s: {
            "get": {
                "summary": "A session: its files, their job states, counts",
                "parameters": [_SESSION],
                "responses": {"200": _json(schemas.SessionInfo, "The session"), **_ERRORS},
            }
        },
        f"{s}/files": {
            "post": {
                "summary": "Upload one or more files (multipart field `files`)",
                "parameters": [_SESSION],
                "requestBody": {
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "files": {
                                        "type": "array",
                                        "items": {"type": "string", "format": "binary"},
                                    }
                                },
                            }
                        }
                    }
                },
                "responses": {
                    "202": _json(schemas.UploadResult, "Accepted, extraction queued"),
                    "409": _json(schemas.ErrorResponse, "The session holds its limit"),
                    "413": _json(schemas.ErrorResponse, "Request too large"),
                    "415": _json(schemas.UploadResult, "No file was of a supported type"),
                    **_ERRORS,
                },
            }
        },
        f"{s}/jobs": {
            "get": {
                "summary": "Extraction progress of every file",
                "parameters": [_SESSION],
                "responses": {"200": _json(schemas.Jobs, "Job states"), **_ERRORS},
            }
        },
        f"{s}/invoices": {
            "get": {
                "summary": "The extracted invoices, corrections applied",
                "parameters": [_SESSION, _IDS],
                "responses": {"200": _json(schemas.Invoices, "Invoices"), **_ERRORS},
            }
        },
        f"{s}/invoices/{{invoice_id}}": {
            "get": {
                "summary": "One invoice",
                "parameters": [_SESSION, _INVOICE],
                "responses": {"200": _json(schemas.StoredInvoice, "The invoice"), **_ERRORS},
            },
            "patch": {
                "summary": "Correct fields and/or mark reviewed (edits keep who/when/old value)",
                "parameters": [_SESSION, _INVOICE],
                "requestBody": {
                    "content": {"application/json": {"schema": _ref(schemas.InvoicePatch)}}
                },
                "responses": {"200": _json(schemas.StoredInvoice, "Updated"), **_ERRORS},
            },
        },
        f"{s}/invoices/{{invoice_id}}/edits": {
            "get": {
                "summary": "The edit history of an invoice",
                "parameters": [_SESSION, _INVOICE],
                "responses": {"200": _json(schemas.Edits, "Edits, oldest first"), **_ERRORS},
            }
        },
        f"{s}/files/{{file_id}}/pages/{{number}}.png": {
            "get": {
                "summary": "A page of an uploaded file as PNG (rendered on demand, cached)",
                "parameters": [
                    _SESSION,
                    {
                        "name": "file_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                    {
                        "name": "number",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                ],
                "responses": {
                    "200": {"description": "PNG", "content": {"image/png": {}}},
                    **_ERRORS,
                },
            }
        },
        f"{s}/export": {
            "get": {
                "summary": "Export invoices (corrected values win)",
                "parameters": [
                    _SESSION,
                    _IDS,
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": [
                                "csv",
                                "xlsx",
                                "json",
                                "datev",
                                "bills-xero",
                                "bills-quickbooks",
                            ],
                        },
                    },
                    {
                        "name": "kind",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["invoices", "items"]},
                    },
                ],
                "responses": {"200": {"description": "The export file"}, **_ERRORS},
            }
        },
        **supplier_paths(_json, _ref, _ERRORS, _SESSION, _INVOICE),
    }


@cache
def openapi_document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [
        schemas.SessionCreated,
        schemas.SessionInfo,
        schemas.Jobs,
        schemas.UploadResult,
        schemas.StoredInvoice,
        schemas.Invoices,
        schemas.InvoicePatch,
        schemas.Edits,
        schemas.ErrorResponse,
        *matching_schemas.MODELS,
        *SELLER_MODELS,
        *SUPPLIER_MODELS,
    ]
    _, definitions = models_json_schema([(m, "serialization") for m in models], ref_template=_REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Invoice Extractor API", "version": __version__},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"owner": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"owner": []}],
        "paths": _merged(
            _paths(), manage_paths(), matching_paths(_json, _ERRORS), seller_paths(_json, _ERRORS)
        ),
    }


def _merged(*groups: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for group in groups:
        for path, item in group.items():
            paths.setdefault(path, {}).update(item)
    return paths
