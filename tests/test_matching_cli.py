"""``invoice-extractor suppliers`` and ``books`` on the installation's database (SQLite here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from invoice_extractor import cli

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample-invoice.pdf"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_suppliers_import_list_and_a_refused_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "name,vat_id,iban,account\n"
        "Nordlicht Bürotechnik GmbH,DE136695976,DE89 3704 0044 0532 0130 00,70500\n",
        encoding="utf-8",
    )
    assert _run(capsys, "suppliers", "import", str(good))[0] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("name,vat_id\nAlpha,DE136695976\nBeta,XX\n,ATU13585627\n", encoding="utf-8")
    code, out, err = _run(capsys, "suppliers", "import", str(bad))
    assert code == 1 and "nothing imported" in err
    assert "line 3: vat_id 'XX' is not a VAT id" in err
    assert "line 4: name is empty" in err
    code, out, _ = _run(capsys, "suppliers", "list")
    [supplier] = json.loads(out)
    assert (supplier["name"], supplier["iban"], supplier["account"]) == (
        "Nordlicht Bürotechnik GmbH",
        "DE89370400440532013000",
        70500,
    )
    assert _run(capsys, "suppliers", "import")[0] == 2


def test_books_uses_the_supplier_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suppliers = tmp_path / "s.csv"
    suppliers.write_text("name;account\nNordlicht Bürotechnik GmbH;70500\n", encoding="utf-8")
    assert _run(capsys, "suppliers", "import", str(suppliers))[0] == 0
    out_file = tmp_path / "EXTF_Buchungsstapel.csv"
    code, _, err = _run(capsys, "books", "--format", "datev", str(SAMPLE), "--out", str(out_file))
    assert code == 0, err
    lines = out_file.read_bytes().decode("cp1252").split("\r\n")
    assert lines[2].startswith(
        '1133,48;"S";"EUR";;;;3400;70500;9;1503;"RE-2024-0815";140424;;'
        '"Nordlicht Bürotechnik GmbH";'
    )
    assert lines[2].count(";") == 124  # all 125 columns of the layout
