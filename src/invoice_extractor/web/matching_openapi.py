"""The OpenAPI paths of ``matching_api.py`` (merged into ``/api/v1/openapi.json``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from . import matching_schemas as m

JsonBody = Callable[[type[BaseModel], str], dict[str, Any]]


def _file_upload(*fields: str) -> dict[str, Any]:
    properties: dict[str, Any] = {f: {"type": "string", "format": "binary"} for f in fields}
    if "mapping" in fields:
        properties["format"] = {"type": "string", "enum": ["camt", "mt940", "csv"]}
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "properties": properties, "required": ["file"]}
            }
        },
    }


def _orders_body() -> dict[str, Any]:
    """A CSV or JSON file, or the JSON itself (docs/matching.md has both formats)."""
    body = _file_upload("file")
    body["content"]["application/json"] = {
        "schema": {
            "description": 'An array of orders, or {"purchase_orders": [...]}: each '
            '{"number", "supplier", "date", "currency", "supplier_vat_id", "lines": '
            '[{"description", "quantity", "unit_price", "tax_rate"}]}',
            "oneOf": [{"type": "array"}, {"type": "object"}],
        }
    }
    return body


def _in_path(name: str, kind: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def matching_paths(json_body: JsonBody, errors: dict[str, Any]) -> dict[str, Any]:
    refused = {"422": json_body(m.Refused, "Refused whole (the message names the line)")}
    return {
        "/purchase-orders": {
            "get": {
                "summary": "The installation's purchase orders, with the invoices matched to each",
                "responses": {"200": json_body(m.PurchaseOrders, "Purchase orders")},
            },
            "post": {
                "summary": "Import purchase orders (CSV or JSON file in `file`, or a JSON body); "
                "an order already known by its number is replaced; invoices are re-checked",
                "requestBody": _orders_body(),
                "responses": {
                    "201": json_body(m.OrdersImported, "Imported"),
                    **refused,
                    **errors,
                },
            },
        },
        "/purchase-orders/{number}": {
            "get": {
                "summary": "One purchase order, its lines and its invoices",
                "parameters": [_in_path("number", "string")],
                "responses": {"200": json_body(m.PurchaseOrderBody, "The order"), **errors},
            }
        },
        "/payments/statements": {
            "post": {
                "summary": "Import a bank statement (CAMT.053, MT940, or CSV with a `mapping`) "
                "and match its transactions to invoices",
                "requestBody": _file_upload("file", "mapping"),
                "responses": {
                    "201": json_body(m.StatementImported, "Imported and matched"),
                    **refused,
                    **errors,
                },
            }
        },
        "/payments/match": {
            "post": {
                "summary": "Match every unmatched transaction again (after new invoices)",
                "responses": {"200": json_body(m.Rematched, "Matched")},
            }
        },
        "/payments/transactions": {
            "get": {
                "summary": "Bank transactions, newest first, with the invoice each one pays",
                "parameters": [
                    {
                        "name": "unmatched",
                        "in": "query",
                        "required": False,
                        "description": "true: only transactions matched to no invoice",
                        "schema": {"type": "boolean"},
                    }
                ],
                "responses": {"200": json_body(m.Transactions, "Transactions")},
            }
        },
        "/payments/transactions/{transaction_id}/match": {
            "post": {
                "summary": "Match a transaction by hand to an invoice of your session (it is paid "
                "on the booking date; what either side was linked to before is freed)",
                "parameters": [_in_path("transaction_id", "integer")],
                "requestBody": {
                    "required": True,
                    "content": json_body(m.ManualMatch, "")["content"],
                },
                "responses": {"200": json_body(m.TransactionBody, "Matched"), **errors},
            }
        },
        "/payments/transactions/{transaction_id}/unmatch": {
            "post": {
                "summary": "Unmatch a transaction by hand: its invoice is unpaid again, and the "
                "automatic matcher leaves the transaction alone",
                "parameters": [_in_path("transaction_id", "integer")],
                "responses": {"200": json_body(m.TransactionBody, "Unmatched"), **errors},
            }
        },
        "/payments/overdue": {
            "get": {
                "summary": "Unpaid invoices past their due date, in every session",
                "responses": {"200": json_body(m.Overdue, "Overdue invoices")},
            }
        },
        "/sessions/{session_id}/invoices/{invoice_id}/matching": {
            "get": {
                "summary": "An invoice's purchase-order match and payment",
                "parameters": [_in_path("session_id", "string"), _in_path("invoice_id", "integer")],
                "responses": {"200": json_body(m.InvoiceMatching, "Match state"), **errors},
            }
        },
    }
