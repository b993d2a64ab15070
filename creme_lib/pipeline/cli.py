"""Command line of the pipeline: ``python -m creme_lib.pipeline {notebook,step,merge,toc,shuffle-study} ...``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from creme_lib.pipeline.config import setup_logging
from creme_lib.pipeline.notebooks import compose_toc, execute_notebook, write_toc
from creme_lib.pipeline.registry import STEP_FUNCTIONS, run_step
from creme_lib.pipeline.tables import merge_tables


def _parse_value(text: str) -> Any:
    import yaml

    return yaml.safe_load(text)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m creme_lib.pipeline {notebook,merge,toc} ...`` (used by the Snakefile)."""
    from creme_lib import pipeline  # the package: its docstring describes the command

    ap = argparse.ArgumentParser(prog="python -m creme_lib.pipeline", description=pipeline.__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    nb = sub.add_parser("notebook", help="run a notebook template with papermill into a book page")
    nb.add_argument("template")
    nb.add_argument("output")
    nb.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="parameter (VALUE parsed as YAML)")
    nb.add_argument("--title")
    nb.add_argument("--cwd")
    st = sub.add_parser("step", help="run one step (e.g. one shard) without a notebook")
    st.add_argument("step", choices=list(STEP_FUNCTIONS))
    st.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    mg = sub.add_parser("merge", help="merge the per-cell-line tables")
    mg.add_argument("--results-dir", required=True)
    mg.add_argument("--model", required=True)
    mg.add_argument("--cell-lines", nargs="+", required=True)
    mg.add_argument("--stamp", help="file to write the list of merged tables to")
    tc = sub.add_parser("toc", help="write the TOC fragment of the generated pages")
    tc.add_argument("output")
    tc.add_argument("pages", nargs="+")
    tc.add_argument("--model", required=True)
    tc.add_argument("--root", default=".")
    tc.add_argument("--base", help="also write a full TOC: this _toc.yml with the fragment's parts inserted")
    tc.add_argument("--full", help="where to write the full TOC (with --base)")
    ss = sub.add_parser("shuffle-study", help="run (or reuse) the validation page's shuffle-noise study")
    ss.add_argument("--out-dir", required=True, help="where shuffle_noise_predictions.csv goes")
    args = ap.parse_args(argv)
    setup_logging()
    if args.cmd == "notebook":
        params = {k: _parse_value(v) for k, v in args.parameter}
        execute_notebook(args.template, args.output, params, title=args.title, cwd=args.cwd)
    elif args.cmd == "step":
        run_step(args.step, {k: _parse_value(v) for k, v in args.parameter})
    elif args.cmd == "merge":
        written = merge_tables(args.results_dir, args.model, args.cell_lines)
        if args.stamp:
            stamp = Path(args.stamp)
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text("".join(f"{p}\n" for p in written))
    elif args.cmd == "shuffle-study":
        from creme_lib.validation.shuffles import run_study

        print(run_study(args.out_dir))
    elif args.cmd == "toc":
        write_toc(args.output, args.pages, args.model, args.root)
        if args.base and args.full:
            compose_toc(args.base, args.output, args.full)
    return 0
