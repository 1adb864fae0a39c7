"""The seller memory's part of the OpenAPI document: its bodies and its paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field


class LearnedField(BaseModel):
    label: str | None = Field(description="The confirmed value's label (folded), if it has one.")
    empty: bool = Field(description="Confirmed as not printed on this seller's invoices.")
    avoids: str | None = Field(description="The label of the wrong value chosen before.")
    origin: str = Field(description="correction | review | einvoice | learn")
    taught_at: str = Field(description="ISO date of the lesson.")


class KnownSeller(BaseModel):
    id: int
    name: str | None
    vat_ids: list[str]
    ibans: list[str]
    updated_at: str
    fields: dict[str, LearnedField]


class KnownSellers(BaseModel):
    sellers: list[KnownSeller]


class SellerExport(BaseModel):
    format: int = Field(description="1")
    sellers: list[dict[str, Any]] = Field(
        description="Each seller's layout: name, vat_ids, ibans, fingerprint, fields."
    )


class SellersImported(BaseModel):
    imported: int


MODELS: tuple[type[BaseModel], ...] = (KnownSellers, SellerExport, SellersImported)

JsonBody = Callable[[type[BaseModel], str], dict[str, Any]]


def seller_paths(body: JsonBody, errors: dict[str, Any]) -> dict[str, Any]:
    seller_id = {"name": "seller_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    gone = {"204": {"description": "Forgotten"}}
    return {
        "/sellers": {
            "get": {
                "summary": "The known sellers of the seller memory and what was learned of each",
                "responses": {"200": body(KnownSellers, "Known sellers")},
            },
            "delete": {"summary": "Forget every seller", "responses": gone},
        },
        "/sellers/{seller_id}": {
            "delete": {
                "summary": "Forget one seller",
                "parameters": [seller_id],
                "responses": {**gone, **errors},
            }
        },
        "/sellers/export": {
            "get": {
                "summary": "The seller memory as JSON (to move it to another server)",
                "responses": {"200": body(SellerExport, "The export")},
            }
        },
        "/sellers/import": {
            "post": {
                "summary": "Add the sellers of an export (a known seller is merged)",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"200": body(SellersImported, "Imported"), **errors},
            }
        },
    }
