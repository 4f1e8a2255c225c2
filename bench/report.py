"""The result table (text for the terminal, Markdown for the README) and the JSON file.

A cell shows the median and [min-max] of its samples, or "n/a (error: ...)" with the
full error in a numbered note under the table, or "—" where the workload does not apply
to that system. Ratios are helios ÷ other, of medians, in the row's own unit: the unit
column's arrow says whether higher (↑) or lower (↓) is better.
"""

from __future__ import annotations

import datetime
import json
import pathlib

import attrs

from bench.measure import SYSTEMS, Cell, Row

RESULTS_DIR = pathlib.Path(__file__).resolve().parent / "results"
HEADERS = ["workload", "measure", "unit", "helios", "postgres", "duckdb", "helios/pg", "helios/duckdb"]


def fmt_number(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


@attrs.define
class Notes:
    """Numbered footnotes for errors and remarks (identical texts share a number)."""

    texts: list[str] = attrs.Factory(list)

    def ref(self, text: str) -> str:
        if text not in self.texts:
            self.texts.append(text)
        return f"[{self.texts.index(text) + 1}]"


def fmt_cell(cell: Cell | None, notes: Notes) -> str:
    if cell is None:
        return "—"
    if cell.error is not None:
        short = cell.error if len(cell.error) <= 48 else cell.error[:45] + "..."
        return f"n/a (error: {short}) {notes.ref(cell.error)}"
    if not cell.samples:
        return "—"
    text = fmt_number(cell.median)
    if len(cell.samples) > 1:
        text += f" [{fmt_number(min(cell.samples))}–{fmt_number(max(cell.samples))}]"
    if cell.note:
        text += " " + notes.ref(cell.note)
    return text


def fmt_ratio(row: Row, other: str) -> str:
    ratio = row.ratio(other)
    if ratio is None:
        return "—"
    return f"{ratio:.3g}×"


def table_rows(rows: list[Row], notes: Notes) -> list[list[str]]:
    out = []
    for row in rows:
        unit = f"{row.unit} {'↑' if row.higher_is_better else '↓'}"
        out.append([row.group, row.name, unit, *(fmt_cell(row.cells.get(s), notes) for s in SYSTEMS),
                    fmt_ratio(row, "postgres"), fmt_ratio(row, "duckdb")])
    return out


def render_text(rows: list[Row]) -> str:
    notes = Notes()
    body = table_rows(rows, notes)
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(HEADERS)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(HEADERS, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    lines.append("")
    lines.append("cells: median [min–max] of the measured runs; ratios: helios ÷ other, ↑ higher is better,"
                 " ↓ lower is better; — not applicable")
    lines += [f"[{i}] {text}" for i, text in enumerate(notes.texts, 1)]
    return "\n".join(lines)


def render_markdown(rows: list[Row]) -> str:
    notes = Notes()
    body = table_rows(rows, notes)
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in body]
    lines.append("")
    lines += [f"[{i}] {text}  " for i, text in enumerate(notes.texts, 1)]
    return "\n".join(lines)


def to_json(rows: list[Row], meta: dict) -> dict:
    out_rows = []
    for row in rows:
        cells = {}
        for system, cell in row.cells.items():
            cells[system] = {"samples": cell.samples, "median": cell.median,
                             "min": min(cell.samples) if cell.ok else None,
                             "max": max(cell.samples) if cell.ok else None,
                             "error": cell.error, "note": cell.note}
        out_rows.append({"group": row.group, "name": row.name, "unit": row.unit,
                         "higher_is_better": row.higher_is_better, "cells": cells,
                         "ratio_helios_postgres": row.ratio("postgres"),
                         "ratio_helios_duckdb": row.ratio("duckdb")})
    return {"meta": meta, "rows": out_rows}


def results_stem(meta: dict, *, quick: bool, every: tuple[str, ...]) -> str:
    """``<date>-<git sha>[-quick][-<workloads>]``: a run of only some of ``every`` workload names
    them, so it does not overwrite the whole run made at the same commit."""
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    chosen = list(meta.get("workloads") or every)
    some = "" if sorted(chosen) == sorted(every) else "-" + "+".join(chosen)
    return f"{date}-{meta['machine']['git_sha']}" + ("-quick" if quick else "") + some


def write(rows: list[Row], meta: dict, *, quick: bool, every: tuple[str, ...] = ()) -> pathlib.Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = results_stem(meta, quick=quick, every=every or tuple(meta.get("workloads") or ()))
    path = RESULTS_DIR / f"{stem}.json"
    path.write_text(json.dumps(to_json(rows, meta), indent=1, ensure_ascii=False) + "\n")
    (RESULTS_DIR / f"{stem}.md").write_text(render_markdown(rows) + "\n")
    return path


README = pathlib.Path(__file__).resolve().parent / "README.md"


def _markers(quick: bool) -> tuple[str, str]:
    kind = "quick" if quick else "full"
    return f"<!-- bench:{kind}:start -->", f"<!-- bench:{kind}:end -->"


def update_readme(rows: list[Row], meta: dict, *, quick: bool, json_path: pathlib.Path) -> None:
    """Replace the README's section for this kind of run (full or quick) with this run's table."""
    start, end = _markers(quick)
    m = meta["machine"]
    s = meta["settings"]
    kind = "QUICK run (--quick: small data, short runs; not the full benchmark)" if quick else "full run"
    block = "\n".join([
        start,
        (f"**{kind}**, {meta['date']}, git `{m['git_sha']}`, TPC-H scale {s['scale']:g}, "
        f"{s['runs']} measured run(s) after a warm-up, {meta['seconds']}s in all. "
        f"Results file: `bench/results/{json_path.name}`."),
        "",
        f"Machine: {m['cpu_model']}, {m['nproc']} cores (nproc), {m['memory_gib']} GiB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}, pyarrow {m['pyarrow']}; "
        + ", ".join(f"{v}" for v in meta["versions"].values()) + ". Shared machine: other jobs ran at the same time.",
        "",
        render_markdown(rows),
        *[f"helios serve was restarted during the run ({i}): {why}  " for i, why in
          enumerate(meta.get("helios_restarts", []), 1)],
        end,
    ])
    text = README.read_text() if README.exists() else f"{start}\n{end}\n"
    if start not in text or end not in text:
        text += f"\n{start}\n{end}\n"
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    README.write_text(head + block + tail)
