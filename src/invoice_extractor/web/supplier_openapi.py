"""The matcher's paths of the OpenAPI document (``matching_api``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from . import schemas

MODELS: tuple[type[BaseModel], ...] = (
    schemas.Duplicates,
    schemas.NotDuplicate,
    schemas.NotDuplicateResult,
    schemas.Suppliers,
    schemas.SupplierInfo,
    schemas.SupplierPatch,
    schemas.SupplierImport,
)


def supplier_paths(
    json: Any, ref: Any, errors: dict[str, Any], session: dict[str, Any], invoice: dict[str, Any]
) -> dict[str, Any]:
    s = "/sessions/{session_id}/invoices/{invoice_id}"
    supplier = {
        "name": "supplier_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    }
    return {
        f"{s}/duplicates": {
            "get": {
                "summary": "Earlier (and later) invoices of the installation this one duplicates",
                "parameters": [session, invoice],
                "responses": {"200": json(schemas.Duplicates, "The matches"), **errors},
            }
        },
        f"{s}/not-duplicate": {
            "post": {
                "summary": "Confirm the invoice is not a duplicate (of one or every match)",
                "parameters": [session, invoice],
                "requestBody": {
                    "content": {"application/json": {"schema": ref(schemas.NotDuplicate)}}
                },
                "responses": {"200": json(schemas.NotDuplicateResult, "Confirmed"), **errors},
            }
        },
        f"{s}/einvoice": {
            "get": {
                "summary": "The invoice as EN 16931 CII or UBL XML (only when it is valid)",
                "parameters": [
                    session,
                    invoice,
                    {
                        "name": "syntax",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["cii", "ubl"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "XSD- and rule-valid XML",
                        "content": {"application/xml": {}},
                    },
                    "422": json(schemas.ErrorResponse, "Not valid: what is missing or failing"),
                    **errors,
                },
            }
        },
        "/suppliers": {
            "get": {
                "summary": "The supplier list of the installation (format=csv: as CSV)",
                "parameters": [
                    {
                        "name": "format",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["json", "csv"]},
                    }
                ],
                "responses": {"200": json(schemas.Suppliers, "Suppliers"), **errors},
            }
        },
        "/suppliers/{supplier_id}": {
            "patch": {
                "summary": "Edit a supplier (name, vat_id, iban, address, country, account)",
                "parameters": [supplier],
                "requestBody": {
                    "content": {"application/json": {"schema": ref(schemas.SupplierPatch)}}
                },
                "responses": {"200": json(schemas.SupplierInfo, "Updated"), **errors},
            }
        },
        "/suppliers/import": {
            "post": {
                "summary": "Import suppliers from CSV, all or nothing (body or field `file`)",
                "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}},
                "responses": {
                    "200": json(schemas.SupplierImport, "Imported"),
                    "422": json(schemas.ErrorResponse, "Refused; the message names each line"),
                    **errors,
                },
            }
        },
    }
