"""The seller memory through the web API, as a clerk uses it: for every seller group of 2+
documents, upload the others (before), upload the first and correct every printed field that was
read wrong and mark it reviewed, then upload the others again in a new session (after).

    python benchmarks/learning_web.py [CORPUS] [--subset ...] [--held-out]

The app runs in this process (Flask test client, in-process workers, SQLite in a temporary
DATA_DIR, or DATABASE_URL when set); scoring is ``eval``'s. ``--held-out`` as in learning.py.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from learning import CORPUS, fold_models

from invoice_extractor.evaluation import Case, find_cases, load_truth
from invoice_extractor.extract.embedded.ranker import using_model
from invoice_extractor.learning import Tally, confirmed_from_truth
from invoice_extractor.model import Invoice
from invoice_extractor.scoring import display, score_case
from invoice_extractor.settings import Settings
from invoice_extractor.training.dataset import seller_group
from invoice_extractor.web import create_app

_VIEW_KEYS = ("id", "file_id", "reviewed", "corrected_fields", "learned")


class Clerk:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def session(self) -> tuple[str, dict[str, str]]:
        body = self.client.post("/api/v1/sessions").get_json()
        return body["id"], {"Authorization": f"Bearer {body['token']}"}

    def read(self, cases: list[Case]) -> tuple[str, dict[str, str], list[dict[str, Any]]]:
        session_id, auth = self.session()
        files = {"files": [(case.input.open("rb"), case.input.name) for case in cases]}
        base = f"/api/v1/sessions/{session_id}"
        self.client.post(base + "/files", data=files, headers=auth)
        while True:
            jobs = self.client.get(base + "/jobs", headers=auth).get_json()["jobs"]
            if all(j["state"] in ("done", "failed") for j in jobs):
                break
            time.sleep(0.2)
        invoices = self.client.get(base + "/invoices", headers=auth).get_json()["invoices"]
        return session_id, auth, invoices

    def correct(
        self, session_id: str, auth: dict[str, str], data: dict[str, Any], truth: Any
    ) -> int:
        """Every printed field read wrong set to the truth, and the invoice marked reviewed."""
        invoice = _invoice(data)
        fields = {
            path: str(value)
            for path, value in confirmed_from_truth(truth).items()
            if display(invoice.get_path(path)) != str(value)
        }
        url = f"/api/v1/sessions/{session_id}/invoices/{data['id']}"
        response = self.client.patch(url, json={"fields": fields, "reviewed": True}, headers=auth)
        return len(fields) if response.status_code == 200 else -1


def _invoice(data: dict[str, Any]) -> Invoice:
    return Invoice.model_validate({k: v for k, v in data.items() if k not in _VIEW_KEYS})


def _score(
    tally: Tally, cases: list[Case], truths: dict[Path, Any], invoices: list[dict[str, Any]]
) -> None:
    by_file: dict[str, list[Invoice]] = defaultdict(list)
    for data in invoices:
        by_file[data["file"]].append(_invoice(data))
    for case in cases:
        score = score_case(case.id, truths[case.input], by_file.get(case.input.name, []))
        for result in score.fields:
            tally.scored[result.field] += 1
            tally.right[result.field] += int(result.correct)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=CORPUS.resolve())
    parser.add_argument("--subset", default=None)
    parser.add_argument("--held-out", action="store_true")
    args = parser.parse_args()
    cases = find_cases(args.corpus, args.subset)
    truths = {case.input: load_truth(case.truth) for case in cases}
    models = fold_models(args.corpus, cases) if args.held_out else None
    groups: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        groups[seller_group(truths[case.input])].append(case)
    before, after, corrected = Tally(), Tally(), 0
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.from_env(env_file=None).model_copy(
            update={"data_dir": Path(data_dir), "secret_key": "benchmark", "workers": 2}
        )
        app = create_app(settings)
        clerk = Clerk(app.test_client())
        for group, members in sorted(groups.items()):
            if len(members) < 2:
                continue
            with using_model(models[group]) if models is not None else nullcontext():
                teacher, others = members[0], members[1:]
                _score(before, others, truths, clerk.read(others)[2])
                session_id, auth, (first, *_) = clerk.read([teacher])
                corrected += max(clerk.correct(session_id, auth, first, truths[teacher.input]), 0)
                _score(after, others, truths, clerk.read(others)[2])
        app.extensions["invoice_extractor"].queue.stop()
    print(f"fields corrected on the first documents: {corrected}")
    print(f"{'field':<22} {'n':>4} {'before':>8} {'after':>8}")
    for name in sorted(before.scored):
        print(f"{name:<22} {before.scored[name]:>4} {before.of(name):>8.3f} {after.of(name):>8.3f}")
    total = sum(before.scored.values())
    print(f"{'header (micro)':<22} {total:>4} {before.accuracy:>8.3f} {after.accuracy:>8.3f}")


if __name__ == "__main__":
    main()
