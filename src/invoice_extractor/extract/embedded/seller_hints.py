"""The seller memory for an LLM backend: a known seller's confirmed layout as few-shot hints in
the prompt (which printed label holds which field for this seller), nothing for others."""

from __future__ import annotations

from ...ingest.document import Page
from .candidates import collect_candidates
from .context import DocumentContext
from .seller_layout import recognise
from .seller_memory import clues_of, current_seller_memory

HEADER = (
    "\nThis seller is known: a person confirmed earlier invoices of its layout. Where the same "
    "labels are printed, use them as follows (they override the general rules):\n"
)


def seller_hints(pages: list[Page]) -> str:
    """Lines to append to the instruction, or "" (no memory, or a seller not known)."""
    memory = current_seller_memory()
    if memory is None or not any(p.words for p in pages):
        return ""
    ctx = DocumentContext.build(pages)
    clues = clues_of(ctx, collect_candidates(ctx))
    layout = recognise(clues, memory.layouts(clues))
    if layout is None:
        return ""
    lines = [f"- the seller is {layout.name}"] if layout.name else []
    for path, lesson in sorted(layout.fields.items()):
        if lesson.right is None:
            lines.append(f"- {path}: not printed on this seller's invoices (null)")
        elif lesson.right.label:
            place = "under" if lesson.right.where == "below" else "after"
            avoid = ""
            if lesson.wrong is not None and lesson.wrong.label != lesson.right.label:
                avoid = f', not the one {place} "{lesson.wrong.label}"'
            lines.append(f'- {path}: the value {place} the label "{lesson.right.label}"{avoid}')
    return HEADER + "\n".join(lines) + "\n" if lines else ""
