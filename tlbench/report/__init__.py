"""What a researcher looks at after a run: leaderboard tables, run comparison, error analysis, plots, HTML.

Modules (each small, each readable alone)::

    runs       read run directories (docs/formats.md): manifest, results.json, items.jsonl
    tables     the paper's Tables 3/4/5: rows, Avg row, bold best, shades against Avg or a baseline
    render     tables as text / markdown / csv / latex / html / json (tabulate for the text formats)
    paper      the paper's published rows (package data file, source table named)
    stats      paired bootstrap intervals and the exact McNemar test
    compare    two runs compared benchmark by benchmark on their item-level verdicts
    analysis   Table 1 / Figure 3 error breakdown and RoTBench robustness curves
    plots      matplotlib figures (optional ``plot`` extra) as PNG bytes
    html       the self-contained static HTML report (assets/ holds its CSS and JS)

Nothing here re-scores: every number comes from what ``tlbench score`` wrote.
"""

from __future__ import annotations

__all__: list[str] = []
