"""Notebook pages and the book's TOC: run a step notebook with papermill, page titles, TOC fragments."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from creme_lib.pipeline.registry import STEPS

_TF_NOISE = ("WARNING: All log messages before absl", "I0000 ", "W0000 ", "E0000 ", "oneDNN custom operations",
             "Could not find cuda drivers", "failed call to cuInit", "TF-TRT Warning", "This TensorFlow binary")


def _clean_stderr(text: str) -> str:
    keep = [ln for ln in text.splitlines(keepends=True) if not any(n in ln for n in _TF_NOISE)]
    return "".join(keep)


def execute_notebook(
    template: str | os.PathLike,
    output: str | os.PathLike,
    parameters: dict[str, Any],
    title: str | None = None,
    kernel_name: str = "python3",
    cwd: str | os.PathLike | None = None,
) -> Path:
    """Run a jupytext ``.py`` notebook with papermill and make it a book page.

    The injected-parameters cell (and the template's ``parameters`` cell) get the
    ``remove-cell`` tag so the book hides them; the first ``# `` heading becomes
    ``title`` (e.g. naming the cell line and model); TensorFlow start-up chatter is
    stripped from stderr outputs. The page is written atomically; a failed run leaves
    ``<output>.failed.ipynb`` for inspection and re-raises.

    Returns
    -------
    Path
        ``output``.
    """
    import jupytext
    import nbformat
    import papermill as pm

    template, output = Path(template), Path(output)
    if not template.is_file():
        raise FileNotFoundError(f"notebook template not found: {template}")
    output.parent.mkdir(parents=True, exist_ok=True)
    nb = jupytext.read(template)
    nb.metadata["kernelspec"] = {"name": kernel_name, "display_name": "Python 3", "language": "python"}
    stem = f".{output.stem}.{os.getpid()}"
    src, tmp = output.parent / f"{stem}.in.ipynb", output.parent / f"{stem}.out.ipynb"
    nbformat.write(nb, src)
    try:
        pm.execute_notebook(str(src), str(tmp), parameters=parameters, kernel_name=kernel_name,
                            cwd=str(cwd) if cwd else None, progress_bar=False, log_output=False)
    except BaseException:
        if tmp.exists():
            os.replace(tmp, output.with_suffix(".failed.ipynb"))
        raise
    finally:
        src.unlink(missing_ok=True)
    done = nbformat.read(tmp, as_version=4)
    titled = False
    for cell in done.cells:
        tags = cell.metadata.setdefault("tags", [])
        if ("injected-parameters" in tags or "parameters" in tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
        if cell.cell_type == "markdown" and title and not titled:
            lines = cell.source.splitlines()
            for i, ln in enumerate(lines):
                if ln.startswith("# "):
                    lines[i] = f"# {title}"
                    cell.source = "\n".join(lines)
                    titled = True
                    break
        if cell.cell_type == "code":
            outs = []
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    o["text"] = _clean_stderr(o.get("text", ""))
                    if not o["text"].strip():
                        continue
                outs.append(o)
            cell["outputs"] = outs
    if title and not titled:
        done.cells.insert(0, nbformat.v4.new_markdown_cell(f"# {title}"))
    nbformat.write(done, tmp)
    os.replace(tmp, output)
    return output


from creme_lib.pipeline.registry import STEP_TITLES  # noqa: E402 - the steps' titles live in the registry


#: File-name prefix of the contextual-regression part's pages (``notebooks/promoters_*.py``).
PROMOTER_PAGE_PREFIX = "promoters_"
#: Caption of the book part that holds those pages.
PROMOTER_PART = "Contextual regression: promoter sequence to mRNA abundance"
#: The part's notebooks in order: stem -> (page title, stems it reads from).
PROMOTER_PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "promoters_01_model": ("A contextual regression model of promoter activity", ()),
    "promoters_02_interpretation": ("What the promoter model learned: clusters, motifs, communities",
                                    ("promoters_01_model",)),
    "promoters_03_distance": ("Distance constraints between promoter motifs", ("promoters_02_interpretation",)),
    "promoters_04_creme": ("CREME on the promoter model", ("promoters_01_model",)),
}
#: Parameters every page of the part takes, with their defaults (each template's papermill
#: ``parameters`` cell repeats them; a test checks it against this). The model page takes
#: ``seeds``, a list; the pages that interpret it take ``seed``, the first of them.
PROMOTER_PARAMETERS: dict[str, Any] = {
    "dataset": "ecoli", "data_dir": None, "preset": "ecoli", "seeds": [0], "resplits": 0,
    "results_dir": "results/promoters",
}


def page_title(step: str, cell_line: str, model: str) -> str:
    """Title of a generated page, e.g. ``"04 CRE necessity test: K562 (synthetic model)"``."""
    return f"{step[:2]} {STEP_TITLES.get(step, step)}: {cell_line} ({model} model)"


#: The part of the book's own ``_toc.yml`` that the run's how-to pages (the locus page) join.
LIBRARY_PART = "Using the library"
#: Generated pages that are how-tos (they join :data:`LIBRARY_PART`), by file stem.
HOW_TO_PAGES: tuple[str, ...] = ("locus",)
#: Where the figure pages are: ``book/figures/`` of the checkout (their table reads tell which
#: step feeds them).
#:
#: :meta hide-value:
FIGURES_DIR = Path(__file__).resolve().parents[2] / "book" / "figures"


#: Readers in :mod:`creme_lib.published` that load a table themselves, and that table.
_TIDY_READERS: dict[str, str] = {
    "selected_genes": "selected_genes",
    "model_activity_pairs": "selected_genes",
    "context_swap_long": "context_swap_test",
    "paired_context_effects": "context_dependence_test",
    "tile_offsets_kb": "sufficiency_test_tile_coordinates",
}


def figures_fed_by(step: str, figures_dir: str | os.PathLike | None = None) -> list[str]:
    """The figure pages (stems, e.g. ``"fig2"``) that read a table the step writes.

    Read off the table names quoted on each page (its panels' ``src.load`` calls) and the
    tidy readers it calls (``_TIDY_READERS``), and the tables' schemas
    (:func:`creme_lib.schemas.tables_of_step`), so the mapping cannot drift from the pages.
    """
    import re

    from creme_lib.schemas import tables_of_step

    names = {t.name.split("/")[-1] if t.name.startswith("CRE_characterization/") else t.name for t in tables_of_step(step)}
    found = []
    for page in sorted(Path(figures_dir or FIGURES_DIR).glob("*.md"), key=lambda p: (p.stem.startswith("ed_"), int(re.sub(r"\D", "", p.stem) or 0))):
        text = page.read_text()
        # Every quoted table name on the page (panels read tables through `src.load(NAME)`,
        # `load_table(..., NAME)` or a constant holding NAME), plus the tidy readers' tables.
        used = {w.removeprefix("CRE_characterization/") for w in re.findall(r"\"([\w/]+)\"", text)}
        for reader, table in _TIDY_READERS.items():
            if re.search(rf"\b{reader}\(", text):
                used.add(table)
        if used & names:
            found.append(page.stem)
    return found


def _figure_label(stem: str) -> str:
    return f"Extended Data Fig. {stem[6:]}" if stem.startswith("ed_fig") else f"Fig. {stem[3:]}"


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_cell_line_index(folder: Path, cell_line: str, step_pages: dict[str, Path], model: str,
                          figures_dir: str | os.PathLike | None = None) -> Path:
    """``<folder>/run_<cell line>.md``: one cell line's run, a row per step with its page and the
    paper figures it feeds (links relative to the generated pages' folder; ``figures_dir``
    defaults to :data:`FIGURES_DIR`)."""
    figures_dir = figures_dir or FIGURES_DIR
    fig_rel = Path(os.path.relpath(Path(figures_dir).resolve(), Path(folder).resolve())).as_posix()
    rows = []
    for step, page in step_pages.items():
        figs = ", ".join(f"[{_figure_label(f)}]({fig_rel}/{f}.md)" for f in figures_fed_by(step, figures_dir)) or "-"
        rows.append(f"| {step[:2]} {STEP_TITLES.get(step, step)} | [{cell_line}]({page.name}) | {figs} |")
    text = (
        f"# {cell_line}: this run's pages\n\n"
        f"Every step of the pipeline run with the {model} model for {cell_line}, in run order, and the "
        "paper's figures whose panels read the step's tables (drawn from the published tables by "
        "default, from this run where the published copy lacks a table or with `results_dir`).\n\n"
        "| step | page | feeds |\n| --- | --- | --- |\n" + "\n".join(rows) + "\n"
    )
    out = Path(folder) / f"run_{cell_line}.md"
    _write_text(out, text)
    return out


def write_toc(output: str | os.PathLike, pages: Sequence[str | os.PathLike], model: str, root: str | os.PathLike = ".") -> Path:
    """Write a jupyter-book TOC fragment for the generated pages, and a landing page per step.

    The run's part opens with a page per cell line (:func:`write_cell_line_index`: its
    step pages and the figures they feed); then, for every step with pages,
    ``<output folder>/<step>.md`` is written (title and a ``{tableofcontents}`` of its cell
    lines) and becomes a chapter whose sections are the step's pages. Pages of no step (the
    locus how-to, :data:`HOW_TO_PAGES`) go to a part captioned :data:`LIBRARY_PART`, which :func:`compose_toc`
    merges into the book's own part of that name; pages named ``promoters_*`` form the part
    :data:`~creme_lib.pipeline.notebooks.PROMOTER_PART`. Paths are relative to ``root``
    (the book root), no suffix.

    Returns
    -------
    Path
        ``output``.
    """
    import yaml

    root = Path(root).resolve()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)

    def rel(p: Path) -> str:
        return Path(os.path.relpath(Path(p).resolve(), root)).with_suffix("").as_posix()

    chapters = []
    for step in STEPS:
        mine = [Path(p) for p in pages if Path(p).name.startswith(step + "_")]
        if not mine:
            continue
        landing = output.parent / f"{step}.md"
        text = (
            f"# {step[:2]} {STEP_TITLES.get(step, step)}\n\n"
            f"One page per cell line, from a pipeline run with the {model} model: the notebook "
            f"`notebooks/{step}.py` executed by papermill; its tables are under `results/{model}/`.\n\n"
            "```{tableofcontents}\n```\n"
        )
        tmp = landing.with_name(f".{landing.name}.tmp")
        tmp.write_text(text)
        os.replace(tmp, landing)
        chapters.append({"file": rel(landing), "sections": [{"file": rel(p)} for p in mine]})
    by_cell: dict[str, dict[str, Path]] = {}
    for step in STEPS:
        for p in pages:
            if Path(p).name.startswith(step + "_"):
                by_cell.setdefault(Path(p).stem[len(step) + 1:], {})[step] = Path(p)
    index = [{"file": rel(write_cell_line_index(output.parent, c, by_cell[c], model))} for c in by_cell]
    promoter_pages = [Path(p) for p in pages if Path(p).name.startswith(PROMOTER_PAGE_PREFIX)]
    # Pages of no step: the how-tos join the library part, the others (the validation) close the run's part.
    other = [Path(p) for p in pages
             if not any(Path(p).name.startswith(s + "_") for s in STEPS) and Path(p) not in promoter_pages]
    how_to = [{"file": rel(p)} for p in other if p.stem in HOW_TO_PAGES]
    rest = [{"file": rel(p)} for p in other if p.stem not in HOW_TO_PAGES]
    part = [{"caption": f"Pipeline run ({model} model)", "chapters": index + chapters + rest}]
    if how_to:
        part.insert(0, {"caption": LIBRARY_PART, "chapters": how_to})
    if promoter_pages:
        part.append({"caption": PROMOTER_PART, "chapters": [{"file": rel(p)} for p in sorted(promoter_pages)]})
    text = "# Generated by the Snakefile (rule toc); paste under `parts:` in _toc.yml.\n" + yaml.safe_dump(part, sort_keys=False)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, output)
    return output


def compose_toc(base: str | os.PathLike, fragment: str | os.PathLike, output: str | os.PathLike,
                before: str = "Reproducibility") -> Path:
    """Write a full book TOC: ``base`` (the repository's ``_toc.yml``) with the parts of
    ``fragment`` (from :func:`write_toc`) inserted before the part captioned ``before``
    (appended if there is none). ``make book`` builds with this TOC, so the book lists the
    pages of whatever run the Snakefile made, for any cell lines or model.
    """
    import yaml

    toc = yaml.safe_load(Path(base).read_text())
    extra = yaml.safe_load(Path(fragment).read_text()) or []
    parts = toc.get("parts", [])
    # A fragment part whose caption the book already has joins it (the locus page joins
    # "Using the library"); the others are inserted as parts of their own.
    captions = {p.get("caption"): p for p in parts}
    for p in [p for p in extra if p.get("caption") in captions]:
        captions[p["caption"]]["chapters"] = captions[p["caption"]].get("chapters", []) + p["chapters"]
    extra = [p for p in extra if p.get("caption") not in captions]
    at = next((i for i, p in enumerate(parts) if p.get("caption") == before), len(parts))
    toc["parts"] = parts[:at] + extra + parts[at:]
    output = Path(output)
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text("# Generated by `make book` from _toc.yml and the pipeline's pages.\n" + yaml.safe_dump(toc, sort_keys=False))
    os.replace(tmp, output)
    return output
