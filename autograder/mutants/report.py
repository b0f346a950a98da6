"""A mutation run for people: the terminal summary and a self-contained HTML page (autoescaped)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.mutants.run import MutationRun

STATUS_WORDS = {"killed": "killed", "survived": "survived", "equivalent": "equivalent", "error": "grader error"}


def score_text(run: MutationRun) -> str:
    if run.score is None:
        return "no mutants to grade"
    equivalent = run.count("equivalent")
    also = f", {equivalent} equivalent" if equivalent else ""
    return f"mutation score {run.score:.1%} ({run.count('killed')} killed / {len(run.counted)} non-equivalent{also})"


def render_terminal(run: MutationRun, console: Any, *, show_diffs: bool = True) -> None:
    """Score, per-test kills, per-function scores and every survivor as a diff."""
    from rich.markup import escape
    from rich.table import Table

    if run.reference_problem:
        console.print(f"[red]{escape(run.reference_problem)}[/]")
    table = Table(title=f"{run.assignment}: mutants each test kills", title_justify="left")
    for column, justify in (("test", "left"), ("points", "right"), ("kills", "right")):
        table.add_column(column, justify=justify, overflow="fold")
    for row in run.tests:
        table.add_row(escape(row.name), f"{row.points:g}", str(row.kills))
    console.print(table)
    functions = Table(title=f"{run.assignment}: score per function", title_justify="left")
    for column, justify in (("function", "left"), ("killed", "right"), ("score", "right")):
        functions.add_column(column, justify=justify)
    for name, killed, counted in run.functions():
        functions.add_row(escape(name), f"{killed} / {counted}", f"{killed / counted:.0%}")
    console.print(functions)
    for outcome in run.survivors:
        m = outcome.mutant
        what = "survived" if outcome.status == "survived" else f"grader error ({escape(outcome.error or '')})"
        console.print(f"[yellow]{what}:[/] [bold]{escape(m.id)}[/] line {m.line}: {escape(m.description)}")
        if show_diffs:
            for line in m.diff.splitlines()[2:]:
                style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
                console.print(f"    [{style}]{escape(line)}[/]")
    for outcome in run.wrongly_equivalent:
        console.print(f"[magenta]marked equivalent but killed:[/] {escape(outcome.mutant.id)} (by "
                      f"{escape(', '.join(outcome.killed_by))}): remove it from mutants.toml")
    for stale in run.stale_equivalents:
        console.print(f"[magenta]mutants.toml lists {escape(stale)}, which no longer exists[/] (the code changed): "
                      "review and remove it")
    sample = " (a sample)" if run.sampled else ""
    console.print(f"[bold]{run.assignment}: {escape(score_text(run))}{sample}[/], "
                  f"{len(run.survivors)} survivor(s), {run.generated} mutants generated")


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mutation testing: {{ run.assignment }}</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; color: #0f172a; margin: 0; background: #f8fafc; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 48px; background: white; min-height: 100vh; }
h1 { font-size: 1.6rem; margin: 0 0 4px; } h2 { font-size: 1.2rem; margin: 28px 0 8px; }
.sub { color: #64748b; margin: 0 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid #e2e8f0; border-radius: 8px; padding: 10px 16px; min-width: 110px; }
.card b { display: block; font-size: 1.4rem; } .card span { color: #64748b; font-size: .85rem; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e2e8f0; vertical-align: top; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: #64748b; }
td.num { text-align: right; white-space: nowrap; width: 80px; }
.bar { background: #e2e8f0; height: 10px; border-radius: 5px; min-width: 120px; }
.bar i { display: block; height: 10px; border-radius: 5px; background: #15803d; }
.bar.low i { background: #b91c1c; }
pre { margin: 6px 0; padding: 8px; background: #f1f5f9; border-radius: 6px; overflow-x: auto;
      font: 13px/1.45 ui-monospace, monospace; }
pre .add { color: #15803d; background: #dcfce7; display: block; }
pre .del { color: #b91c1c; background: #fee2e2; display: block; }
pre .ctx { color: #475569; display: block; }
.mutant { border: 1px solid #e2e8f0; border-left: 4px solid #b45309; border-radius: 6px; padding: 8px 12px;
          margin: 10px 0; }
.mutant.error { border-left-color: #7c3aed; }
.id { font: 12px ui-monospace, monospace; color: #64748b; }
.killed { color: #15803d; } .survived { color: #b45309; } .equivalent { color: #64748b; } .error { color: #7c3aed; }
.callout { border-left: 4px solid #b91c1c; background: #fef2f2; padding: 8px 12px; margin: 12px 0; }
details summary { cursor: pointer; }
</style></head>
<body><main>
<h1>Mutation testing: {{ run.assignment }}</h1>
<p class="sub">Mutants of the reference solution graded by the hidden graders, each as a submission.
A mutant is killed when it scores less than the reference.{% if run.sampled %} This run graded a sample.{% endif %}</p>
{% if run.reference_problem %}<div class="callout">{{ run.reference_problem }}</div>{% endif %}
<div class="cards">
<div class="card" id="score"><b>{{ score }}</b><span>mutation score</span></div>
<div class="card"><b>{{ run.count("killed") }}</b><span>killed</span></div>
<div class="card"><b>{{ run.count("survived") }}</b><span>survived</span></div>
<div class="card"><b>{{ run.count("equivalent") }}</b><span>equivalent</span></div>
<div class="card"><b>{{ run.count("error") }}</b><span>grader errors</span></div>
<div class="card"><b>{{ run.generated }}</b><span>generated</span></div>
</div>

<h2>Score per test</h2>
<p class="sub">How many of the {{ counted }} non-equivalent mutants make each test lose points.</p>
<table id="tests"><tr><th>test</th><th>points</th><th>kills</th><th></th></tr>
{% for t in run.tests %}<tr><td>{{ t.name }}</td><td class="num">{{ "%g" % t.points }}</td>
<td class="num">{{ t.kills }}</td>
<td><div class="bar"><i style="width: {{ pct(t.kills, counted) }}%"></i></div></td></tr>
{% endfor %}</table>

<h2>Score per function</h2>
<table id="functions"><tr><th>function</th><th>killed</th><th>score</th><th></th></tr>
{% for name, killed, n in run.functions() %}<tr><td>{{ name }}</td><td class="num">{{ killed }} / {{ n }}</td>
<td class="num">{{ pct(killed, n) }}%</td>
<td><div class="bar{% if killed < n %} low{% endif %}"><i style="width: {{ pct(killed, n) }}%"></i></div></td></tr>
{% endfor %}</table>

<h2>Survivors ({{ run.survivors | length }})</h2>
{% for o in run.survivors %}<div class="mutant {{ o.status }}">
<b class="{{ o.status }}">{{ words[o.status] }}</b> {{ o.mutant.function }}, line {{ o.mutant.line }}:
{{ o.mutant.description }} <span class="id">{{ o.mutant.id }}</span>
{% if o.error %}<div class="error">{{ o.error }}</div>{% endif %}
<pre>{% for line in o.mutant.diff.splitlines()[2:] %}<span class="{{ kind(line) }}">{{ line }}</span>{% endfor %}</pre>
</div>{% else %}<p>None: every non-equivalent mutant was killed.</p>{% endfor %}

{% if run.wrongly_equivalent or run.stale_equivalents %}<h2>mutants.toml needs a look</h2><ul>
{% for o in run.wrongly_equivalent %}<li>{{ o.mutant.id }} is marked equivalent but was killed by
{{ o.killed_by | join(", ") }}</li>{% endfor %}
{% for s in run.stale_equivalents %}<li>{{ s }} is listed but no longer generated</li>{% endfor %}</ul>{% endif %}

<h2>Equivalent mutants ({{ equivalent | length }})</h2>
<table id="equivalent"><tr><th>mutant</th><th>why it is equivalent</th></tr>
{% for o in equivalent %}<tr><td>{{ o.mutant.function }}: {{ o.mutant.description }}<br>
<span class="id">{{ o.mutant.id }}</span></td><td>{{ o.equivalent_reason }}</td></tr>{% endfor %}</table>

<h2>Killed mutants ({{ run.count("killed") }})</h2>
<details><summary>show each mutant and the tests that caught it</summary>
<table id="killed"><tr><th>mutant</th><th>caught by</th></tr>
{% for o in killed %}<tr><td>{{ o.mutant.function }}: {{ o.mutant.description }}<br>
<span class="id">{{ o.mutant.id }}</span></td><td>{% for test, feedback in o.killed_by.items() %}
<div><b>{{ test }}</b>: {{ feedback }}</div>{% endfor %}</td></tr>{% endfor %}</table></details>
</main></body></html>
"""


def _kind(line: str) -> str:
    return "add" if line.startswith("+") else "del" if line.startswith("-") else "ctx"


def render_html(run: MutationRun) -> str:
    """The report page as one self-contained HTML string."""
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined)
    counted = len(run.counted)
    return env.from_string(PAGE).render(
        run=run, counted=counted, words=STATUS_WORDS, kind=_kind,
        score=f"{run.score:.1%}" if run.score is not None else "—",
        pct=lambda k, n: round(100 * k / n) if n else 0,
        equivalent=[o for o in run.outcomes if o.status == "equivalent"],
        killed=[o for o in run.outcomes if o.status == "killed"])


def write_html(run: MutationRun, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.html"
    path.write_text(render_html(run))
    return path
