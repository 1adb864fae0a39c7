"""How far the offline engine is from the floor of merely reading the PDFs, on one core.

Runs ``invoice-extractor extract`` (one fresh process for the whole batch, process start included)
on the documents of ``invoice-extractor eval``'s default subsets, beside a reference process that
only pulls the text and per-character boxes out of the same files with pypdfium2. Each is run
``--repeat`` times pinned to one core, the two taking turns; the medians are reported (the machine
is shared and noisy), with their ratio and the peak RSS of the extractor. On a busy machine the
CPU-time ratio is the steadier figure. Both sides run from bytecode, as pip installs a package:
the package's ``.pyc`` files are written first (``compileall``), else an editable install under
``PYTHONDONTWRITEBYTECODE`` compiles its sources again in every process, a cost the reference
(pypdfium2, installed compiled) never pays; ``--source`` measures without them.

    python benchmarks/engine_speed.py [CORPUS] [--repeat 5] [--core 0]

Targets: ratio <= 2.0 and peak RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import invoice_extractor
from invoice_extractor.evaluation import find_cases

# The floor: open each file, read every character and its box, nothing else.
_REFERENCE = """
import sys
import pypdfium2 as pdfium
for path in sys.argv[1:]:
    pdf = pdfium.PdfDocument(path)
    for page in pdf:
        textpage = page.get_textpage()
        n = textpage.count_chars()
        textpage.get_text_range(0, n)
        boxes = [textpage.get_charbox(i, loose=True) for i in range(n)]
        textpage.close()
        page.close()
    pdf.close()
"""


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_rss_mb: float


def _pin(core: int) -> None:
    os.sched_setaffinity(0, {core})


def _run(command: list[str], core: int) -> Run:
    start = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=lambda: _pin(core)
    )
    # wait4 gives this child's own resource usage (ru_maxrss in KiB on Linux).
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, command[:4])
    return Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime, peak_rss_mb=usage.ru_maxrss / 1024)


def _median(runs: list[Run], attribute: str) -> float:
    values: list[float] = [getattr(run, attribute) for run in runs]
    return statistics.median(values)


def _spread(runs: list[Run], attribute: str) -> str:
    values: list[float] = [getattr(run, attribute) for run in runs]
    return f"{min(values):.2f}-{max(values):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (median reported)")
    parser.add_argument("--core", type=int, default=0, help="the one core to run on")
    parser.add_argument(
        "--source", action="store_true", help="do not write the package's bytecode first"
    )
    args = parser.parse_args()
    if not args.source:
        compileall.compile_dir(Path(invoice_extractor.__file__).parent, quiet=1)
    files = [str(case.input) for case in find_cases(args.corpus)]
    if not files:
        print(f"no evaluation cases in {args.corpus}", file=sys.stderr)
        return 2
    # The console script, as users run it (same interpreter as this script).
    script = str(Path(sys.executable).with_name("invoice-extractor"))
    extractor = [script, "extract", "--quiet", *files]
    reference = [sys.executable, "-c", _REFERENCE, *files]
    reference_runs: list[Run] = []
    extractor_runs: list[Run] = []
    for _ in range(args.repeat):  # interleaved: a busy spell of the machine slows both alike
        reference_runs.append(_run(reference, args.core))
        extractor_runs.append(_run(extractor, args.core))
    print(f"{len(files)} documents, {args.repeat} runs each on core {args.core} (medians)")
    print(f"{'':10} {'wall s':>8} {'cpu s':>8}   spread (min-max) wall, cpu")
    for label, runs in (("reference", reference_runs), ("extract", extractor_runs)):
        print(
            f"{label:10} {_median(runs, 'wall'):8.2f} {_median(runs, 'cpu'):8.2f}"
            f"   {_spread(runs, 'wall')}, {_spread(runs, 'cpu')}"
        )
    print(
        f"ratio      {_median(extractor_runs, 'wall') / _median(reference_runs, 'wall'):8.2f}"
        f" {_median(extractor_runs, 'cpu') / _median(reference_runs, 'cpu'):8.2f}"
        "   (target <= 2.0)"
    )
    print(
        f"peak RSS   reference {max(run.peak_rss_mb for run in reference_runs):.0f} MB, "
        f"extract {max(run.peak_rss_mb for run in extractor_runs):.0f} MB (target < 200 MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
