"""Leaderboard tables against hand-computed small runs: values, Avg row, bold best, shades, every format.

Three runs with hand-chosen summaries::

    ToolAlpaca        TS   PI   CF        ToolEyes   DE   CE   VA
    X                 50   40   30        X          10   20   50
    Y                 70   20   30        Y          30   10   70
    Z                 60   30    0        (Z has no ToolEyes results)
    Avg               60   30   20        Avg        20   15   60

Bold: TS Y; PI X; CF X and Y (tie); DE X (lowest); CE Y (lowest); VA Y.
Shades against Avg (gap sign-flipped for DE/CE, level = ceil(4 |gap| / max |gap| of the column)):
TS X -4 Y +4 Z 0; PI X +4 Y -4 Z 0; CF X +2 Y +2 Z -4; DE X +4 Y -4; CE X -4 Y +4; VA X -4 Y +4.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from runbuilder import write_summary_run

from tlbench.cli import main
from tlbench.report.paper import load_paper, paper_rows
from tlbench.report.render import render
from tlbench.report.runs import load_runs
from tlbench.report.tables import TABLES, build_table, build_tables

TA = "toolalpaca-real"
TE = "tooleyes"


@pytest.fixture()
def runs(tmp_path: Path) -> list[Path]:
    return [
        write_summary_run(
            tmp_path, "X", {TA: {"TS": 50, "PI": 40, "CF": 30}, TE: {"DE": 10, "CE": 20, "VA": 50}}
        ),
        write_summary_run(
            tmp_path, "Y", {TA: {"TS": 70, "PI": 20, "CF": 30}, TE: {"DE": 30, "CE": 10, "VA": 70}}
        ),
        write_summary_run(tmp_path, "Z", {TA: {"TS": 60, "PI": 30, "CF": 0}}),
    ]


def _rows(table):  # noqa: ANN001, ANN202
    return {r.name: r for r in table.rows}


def test_table3_values_avg_bold_and_shades(runs: list[Path]) -> None:
    (t3,) = build_tables(load_runs(runs), keys=["3"])
    rows = _rows(t3)
    assert list(rows) == ["X", "Y", "Z", "Avg"]
    assert rows["X"].values[:3] == (50.0, 40.0, 30.0)
    assert rows["X"].values[3:] == (None,) * 6  # no RoTBench / BFCL results: "-"
    assert rows["Avg"].values[:3] == (60.0, 30.0, 20.0)
    assert rows["Avg"].values[3:] == (None,) * 6
    assert rows["X"].bold[:3] == (False, True, True)
    assert rows["Y"].bold[:3] == (True, False, True)
    assert rows["Z"].bold[:3] == (False, False, False)
    assert rows["Avg"].bold == (False,) * 9
    assert rows["X"].shade[:3] == (-4, 4, 2)
    assert rows["Y"].shade[:3] == (4, -4, 2)
    assert rows["Z"].shade[:3] == (0, 0, -4)
    assert rows["Avg"].shade == (0,) * 9


def test_table4_lower_is_better_and_rows_without_values_left_out(runs: list[Path]) -> None:
    (t4,) = build_tables(load_runs(runs), keys=["4"])
    rows = _rows(t4)
    assert list(rows) == ["X", "Y", "Avg"]
    assert rows["Avg"].values == (20.0, 15.0, 60.0)
    assert rows["X"].bold == (True, False, False)
    assert rows["Y"].bold == (False, True, True)
    assert rows["X"].shade == (4, -4, -4)
    assert rows["Y"].shade == (-4, 4, 4)


def test_table5_against_a_baseline_row(runs: list[Path]) -> None:
    (t5,) = build_tables(load_runs(runs), keys=["5"], baseline="X")
    rows = _rows(t5)
    assert t5.reference == "X"
    assert rows["X"].shade == (0,) * 9  # the baseline itself is not coloured
    # TS: Y +20, Z +10 -> max 20 -> +4, +2; PI: Y -20, Z -10 -> -4, -2; CF: Y 0, Z -30 -> 0, -4
    assert rows["Y"].shade[:3] == (4, -4, 0)
    assert rows["Z"].shade[:3] == (2, -2, -4)
    # DE: Y 30 vs 10 is worse (-4); CE: 10 vs 20 better (+4); VA 70 vs 50 better (+4); Z has no ToolEyes
    assert rows["Y"].shade[6:] == (-4, 4, 4)
    assert rows["Z"].shade[6:] == (0, 0, 0)


def test_shade_levels_scale_with_the_gap() -> None:
    spec = TABLES["4"]
    data = [(f"r{v}", "run", [None, None, float(v)], "") for v in (0, 10, 20, 30, 40)]
    table = build_table(spec, data)  # avg 20; gaps -20 -10 0 10 20; max 20
    assert [r.shade[2] for r in table.rows[:-1]] == [-4, -2, 0, 2, 4]
    data = [(f"r{v}", "run", [None, None, float(v)], "") for v in (0, 1, 100)]  # avg 33.67
    table = build_table(spec, data)  # gaps -33.67 -32.67 66.33 -> levels ceil(2.03)=3, ceil(1.97)=2, 4
    assert [r.shade[2] for r in table.rows[:-1]] == [-3, -2, 4]


def test_unknown_baseline_is_a_usage_error(runs: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["leaderboard", *map(str, runs), "--baseline", "nope"])
    assert code == 2
    assert "--baseline 'nope'" in capsys.readouterr().err


def test_plain_table_format(runs: list[Path]) -> None:
    text = render(build_tables(load_runs(runs), keys=["3"]), "table")
    lines = text.splitlines()
    assert lines[0] == TABLES["3"].title
    row_x = next(line for line in lines if line.startswith("X "))
    assert row_x.split() == ["X", "50.00", "40.00*", "30.00*", "-", "-", "-", "-", "-", "-"]
    row_avg = next(line for line in lines if line.startswith("Avg"))
    assert row_avg.split() == ["Avg", "60.00", "30.00", "20.00", "-", "-", "-", "-", "-", "-"]
    assert "ToolAlpaca TS" in lines[1]
    assert lines[-1].startswith("* best in column")


def test_markdown_format(runs: list[Path]) -> None:
    text = render(build_tables(load_runs(runs), keys=["4"]), "markdown")
    lines = text.splitlines()
    assert lines[0] == f"**{TABLES['4'].title}**"
    assert [c.strip() for c in lines[2].strip("|").split("|")] == [
        "",
        "ToolEyes DE ↓",
        "ToolEyes CE ↓",
        "ToolEyes VA",
    ]
    cells = {
        line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")[1:]] for line in lines[4:]
    }
    assert cells["X"] == ["**10.00**", "20.00", "50.00"]
    assert cells["Y"] == ["30.00", "**10.00**", "**70.00**"]
    assert cells["Avg"] == ["20.00", "15.00", "60.00"]


def test_csv_format(runs: list[Path]) -> None:
    text = render(build_tables(load_runs(runs), keys=["4"]), "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["table 4", "kind", "ToolEyes DE", "ToolEyes CE", "ToolEyes VA"],
        ["X", "run", "10.00", "20.00", "50.00"],
        ["Y", "run", "30.00", "10.00", "70.00"],
        ["Avg", "avg", "20.00", "15.00", "60.00"],
    ]


def test_latex_format(runs: list[Path]) -> None:
    text = render(build_tables(load_runs(runs), keys=["5"]), "latex")
    assert r"\begin{tabular}{lrrrrrrrrr}" in text
    assert (
        r" & \multicolumn{3}{c}{ToolAlpaca} & \multicolumn{3}{c}{RoTBench} & \multicolumn{3}{c}{ToolEyes} \\"
        in text
    )
    assert r"DE $\downarrow$" in text
    row_y = next(line for line in text.splitlines() if line.strip().startswith("Y "))
    cells = [c.strip().rstrip("\\").strip() for c in row_y.split("&")]
    assert cells == [
        "Y",
        r"\textbf{70.00}",
        "20.00",
        r"\textbf{30.00}",
        "-",
        "-",
        "-",
        "30.00",
        r"\textbf{10.00}",
        r"\textbf{70.00}",
    ]
    lines = text.splitlines()
    avg_at = next(i for i, line in enumerate(lines) if line.strip().startswith("Avg"))
    assert lines[avg_at - 1] == r"\hline"


def test_latex_escapes_run_names(tmp_path: Path) -> None:
    run = write_summary_run(tmp_path, "a_b & 50%", {TA: {"TS": 1, "PI": 1, "CF": 1}})
    text = render(build_tables(load_runs([run]), keys=["3"]), "latex")
    assert r"a\_b \& 50\%" in text


def test_html_format_bold_and_colours(runs: list[Path]) -> None:
    text = render(build_tables(load_runs(runs), keys=["4"]), "html")
    assert text.startswith("<!DOCTYPE html>")
    assert '<th colspan="3">ToolEyes</th>' in text
    assert "<th>DE &darr;</th>" in text
    # X: DE best and better than Avg (+4); CE worse (-4); VA worse (-4)
    assert '<td class="best up4" style="background: rgba(46, 160, 67, 0.6)"><b>10.00</b></td>' in text
    assert '<td class="down4" style="background: rgba(218, 54, 51, 0.6)">20.00</td>' in text
    assert '<tr class="avg"><td class="name">Avg</td><td>20.00</td><td>15.00</td><td>60.00</td></tr>' in text


def test_html_lighter_shade_for_smaller_gap(runs: list[Path]) -> None:
    text = render(build_tables(load_runs(runs), keys=["3"]), "html")
    assert '<td class="best up2" style="background: rgba(46, 160, 67, 0.3)"><b>30.00</b></td>' in text


def test_json_format(runs: list[Path]) -> None:
    out = json.loads(render(build_tables(load_runs(runs), keys=["4"]), "json"))
    (table,) = out["tables"]
    assert table["reference"] == "Avg"
    assert [c["lower_is_better"] for c in table["columns"]] == [True, True, False]
    assert table["rows"][0] == {
        "name": "X",
        "kind": "run",
        "source": str(runs[0]),
        "values": [10.0, 20.0, 50.0],
        "bold": [True, False, False],
        "shade": [4, -4, -4],
    }
    assert table["rows"][-1]["name"] == "Avg" and table["rows"][-1]["values"] == [20.0, 15.0, 60.0]


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "latex", "html", "json"])
def test_cli_every_format(runs: list[Path], fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["leaderboard", *map(str, runs), "--format", fmt, "--name", "first"])
    out = capsys.readouterr().out
    assert code == 0
    assert "first" in out and "Avg" in out
    assert ("60.0" if fmt == "json" else "60.00") in out  # ToolAlpaca TS average


def test_cli_writes_file_and_default_shows_only_tables_with_values(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    run = write_summary_run(tmp_path, "only", {TE: {"DE": 1.5, "CE": 2, "VA": 3}})
    out = tmp_path / "lb.md"
    assert main(["leaderboard", str(run), "--format", "markdown", "--out", str(out)]) == 0
    text = out.read_text()
    assert "Table 4" in text and "Table 5" in text and "Table 3" not in text


def test_cli_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["leaderboard", str(tmp_path / "missing")]) == 2
    assert "run directory not found" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["leaderboard", str(tmp_path / "empty")]) == 2
    assert "not a run directory" in capsys.readouterr().err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.json").write_text("{not json")
    assert main(["leaderboard", str(bad)]) == 2
    assert "manifest.json" in capsys.readouterr().err


def test_with_paper_says_what_is_stored(runs: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    data = load_paper()
    assert set(data["tables"]) == {"3", "4", "5"}
    for key, table in data["tables"].items():
        assert f"Table {key}" in table["source"]
        for row in table["rows"]:
            assert row.get("source") or table["source"]
    assert main(["leaderboard", *map(str, runs), "--with-paper"]) == 0
    err = capsys.readouterr().err
    if not any(t["rows"] for t in data["tables"].values()):
        assert "no published rows stored" in err


def test_paper_rows_align_with_columns_and_keep_gaps() -> None:
    data = {
        "tables": {
            "4": {
                "source": "Table 4 of arXiv 2412.15495",
                "rows": [{"name": "M", "values": {"tooleyes DE": 1.25, "tooleyes VA": 80}}],
            }
        }
    }
    rows = paper_rows(data)
    assert rows["4"] == [("M (paper)", [1.25, None, 80.0], "Table 4 of arXiv 2412.15495")]
    assert rows["3"] == [] and rows["5"] == []


def test_a_run_still_in_progress_is_shown_with_warnings(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    run = write_summary_run(tmp_path, "busy", {TA: {"TS": 1, "PI": 2, "CF": 3}})
    manifest = json.loads((run / "manifest.json").read_text())
    manifest.update(status="running", benchmarks=[TA, "tooleyes", "bfcl-v3-exec"])
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert main(["leaderboard", str(run), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert "busy,run,1.00,2.00,3.00" in captured.out
    assert "run status is 'running'" in captured.err
    assert "not scored) for tooleyes, bfcl-v3-exec" in captured.err


def test_a_score_out_folder_is_a_one_benchmark_run(tmp_path: Path) -> None:
    run = write_summary_run(tmp_path, "r", {TA: {"TS": 5, "PI": 5, "CF": 5}})
    (single,) = load_runs([run / TA])
    assert single.name == TA and single.benchmarks == (TA,)
    assert single.summary(TA)["TS"] == 5


#: The paper's own Avg rows (Tables 3 and 4): the mean of the stored published rows must reproduce them, which
#: checks every transcribed value of those tables at once.
PAPER_AVG = {
    "3": [80.63, 65.09, 42.72, 74.10, 49.90, 35.43, 93.13, 89.88, 74.17],
    "4": [3.91, 12.46, 65.56],
}


@pytest.mark.parametrize("key", sorted(PAPER_AVG))
def test_stored_paper_rows_reproduce_the_papers_avg_row(key: str) -> None:
    rows = paper_rows()[key]
    assert len(rows) == {"3": 10, "4": 9}[key]
    for col, expected in enumerate(PAPER_AVG[key]):
        values = [r[1][col] for r in rows]
        assert None not in values
        assert abs(sum(values) / len(values) - expected) < 0.006, (key, col)


def test_paper_table5_all_row_is_table3s_tl_codellama_row() -> None:
    rows = paper_rows()
    t3 = dict((n, v) for n, v, _ in rows["3"])["TL-CodeLLaMA-2 7B (paper)"]
    t5 = dict((n, v) for n, v, _ in rows["5"])["w/ All (TL-CodeLLaMA-2) (paper)"]
    assert t5[:6] == t3[:6]
    assert t5[6:] == dict((n, v) for n, v, _ in rows["4"])["TL-CodeLLaMA-2 7B (paper)"]
    assert len(rows["5"]) == 8
