"""Small pictures of shapes, broadcasting and storage for feedback: a spec, its text form and its SVG.

A *spec* is plain JSON data that a check builds from values the grader already holds (shapes,
strides, storage offsets; never tensor values), so it can travel in results.json and the
gradebook. Three kinds:

- ``shape``: yours vs the expected shape, right-aligned, the dimensions that differ marked;
- ``broadcast``: two or more operand shapes right-aligned, the broadcast result, the first
  dimension (from the right) that cannot broadcast marked, and optionally the shape you returned;
- ``storage``: a strip of a storage's elements by index, the elements each view covers
  (offset, strides, shape), and whether your result shares that storage.

Every spec read back (from a gradebook, a results file) is untrusted: :func:`clean` checks each
field's exact type and bounds and returns a fresh spec, or None. The renderers only ever see
cleaned specs, escape every string in the SVG, and draw a bounded number of cells.
"""

from __future__ import annotations

import html
from typing import Any

KINDS = ("shape", "broadcast", "storage")
MAX_DIMS = 12
MAX_DIM = 2**62
MAX_LABEL = 48
MAX_OPERANDS = 4
MAX_ROWS = 5
MAX_CELLS = 40  # storage elements drawn in SVG; the rest are summarised
MAX_TEXT_CELLS = 16  # and in text (fits a terminal's feedback column)
MAX_COVERED = 20_000  # distinct storage indices computed for one view before giving up
MAX_PER_TEST = 3


# ---------------------------------------------------------------- validation


def _label(value: Any, default: str = "") -> str | None:
    if value is None:
        return default
    if type(value) is not str:
        return None
    text = "".join(c if c.isprintable() else "?" for c in value[: MAX_LABEL * 4])
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _int(value: Any, low: int = 0, high: int = MAX_DIM) -> int | None:
    return value if type(value) is int and low <= value <= high else None


def _ints(value: Any, low: int = 0, high: int = MAX_DIM) -> list[int] | None:
    if type(value) not in (list, tuple) or len(value) > MAX_DIMS:
        return None
    out = [_int(v, low, high) for v in value]
    return None if any(v is None for v in out) else out  # type: ignore[return-value]


def _view(value: Any) -> dict | None:
    if type(value) is not dict:
        return None
    label = _label(value.get("label"))
    offset, size = _int(value.get("offset")), _int(value.get("size"))
    shape, strides = _ints(value.get("shape")), _ints(value.get("strides"), -MAX_DIM, MAX_DIM)
    shared = value.get("shared")
    if None in (label, offset, size, shape, strides) or len(shape) != len(strides) or type(shared) is not bool:
        return None
    return {"label": label, "offset": offset, "shape": shape, "strides": strides, "size": size, "shared": shared}


def clean(spec: Any) -> dict | None:
    """A fresh, bounded copy of a spec, or None where any field has the wrong type or size."""
    if type(spec) is not dict or spec.get("kind") not in KINDS:
        return None
    what = _label(spec.get("what"), "your result")
    if what is None:
        return None
    kind = spec["kind"]
    if kind == "shape":
        yours, expected = _ints(spec.get("yours")), _ints(spec.get("expected"))
        if yours is None or expected is None:
            return None
        return {"kind": kind, "what": what, "yours": yours, "expected": expected}
    if kind == "broadcast":
        operands = spec.get("operands")
        if type(operands) is not list or not 2 <= len(operands) <= MAX_OPERANDS:
            return None
        cleaned = []
        for item in operands:
            if type(item) not in (list, tuple) or len(item) != 2:
                return None
            label, shape = _label(item[0]), _ints(item[1])
            if label is None or shape is None:
                return None
            cleaned.append([label, shape])
        yours = spec.get("yours")
        yours = None if yours is None else _ints(yours)
        if spec.get("yours") is not None and yours is None:
            return None
        return {"kind": kind, "what": what, "operands": cleaned, "yours": yours}
    rows = spec.get("rows")
    must_share = spec.get("must_share")
    if type(rows) is not list or not 1 <= len(rows) <= MAX_ROWS or type(must_share) is not bool:
        return None
    views = [_view(r) for r in rows]
    if any(v is None for v in views) or not views[0]["shared"]:  # type: ignore[index]
        return None
    return {"kind": kind, "what": what, "rows": views, "must_share": must_share}


# ---------------------------------------------------------------- the facts drawn


def broadcast(shapes: list[list[int]]) -> tuple[list[int] | None, int | None]:
    """(the broadcast shape, None), or (None, the first dimension from the right that clashes, negative)."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for dim in range(-1, -ndim - 1, -1):
        sizes = {s[dim] for s in shapes if len(s) >= -dim}
        big = sizes - {1}
        if len(big) > 1:
            return None, dim
        out.append(big.pop() if big else 1)
    return out[::-1], None


def covered(view: dict) -> set[int] | None:
    """The storage indices a view reads (bounded work: None when there are too many to list)."""
    if any(n == 0 for n in view["shape"]):
        return set()
    found = {view["offset"]}
    for n, stride in zip(view["shape"], view["strides"]):
        if n == 1 or stride == 0:
            continue
        if len(found) * n > MAX_COVERED:
            return None
        found = {o + i * stride for o in found for i in range(n)}
    return found


def fmt(shape: list[int]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _shape_rows(spec: dict) -> tuple[list[tuple[str, list[int]]], set[int], str]:
    """(label, shape) rows right-aligned in the drawing, the marked dims (negative), and the verdict line."""
    if spec["kind"] == "shape":
        yours, expected = spec["yours"], spec["expected"]
        ndim = max(len(yours), len(expected))
        bad = {d for d in range(-ndim, 0) if (yours[d] if len(yours) >= -d else None)
               != (expected[d] if len(expected) >= -d else None)}
        verdict = (f"yours has {len(yours)} dimension{'s' * (len(yours) != 1)}, expected {len(expected)}"
                   if len(yours) != len(expected) else
                   "dimension" + "s" * (len(bad) != 1) + " " + ", ".join(str(d) for d in sorted(bad)) + " differ"
                   + "s" * (len(bad) == 1))
        return [("yours", yours), ("expected", expected)], bad, verdict
    rows = [(label, shape) for label, shape in spec["operands"]]
    result, clash = broadcast([s for _, s in rows])
    if result is None:
        sizes = " vs ".join(str(s[clash]) for _, s in rows if len(s) >= -clash)
        return rows, {clash}, f"dimension {clash} cannot broadcast: sizes {sizes}, and not all of them are 1"
    rows.append(("broadcast", result))
    bad: set[int] = set()
    if spec.get("yours") is not None:
        yours = spec["yours"]
        rows.append(("yours", yours))
        ndim = max(len(yours), len(result))
        bad = {d for d in range(-ndim, 0) if (yours[d] if len(yours) >= -d else None)
               != (result[d] if len(result) >= -d else None)}
        verdict = "yours differs from the broadcast shape" if bad else "yours is the broadcast shape"
    else:
        verdict = f"these broadcast to {fmt(result)}"
    return rows, bad, verdict


# ---------------------------------------------------------------- text


def text(spec: dict) -> str:
    """The aligned, monospace form (terminal, results.json); ``spec`` must come from :func:`clean`."""
    if spec["kind"] == "storage":
        return _storage_text(spec)
    rows, bad, verdict = _shape_rows(spec)
    ndim = max((len(s) for _, s in rows), default=0)
    width = max([len(str(d)) for _, s in rows for d in s] + [len(str(-ndim)), 1]) + 1
    name_width = max(len(label) for label, _ in rows) + 2
    title = (f"shapes of {spec['what']}, right-aligned:" if spec["kind"] == "shape"
             else f"broadcasting in {spec['what']}, shapes right-aligned:")
    lines = [title, " " * name_width + "".join(f"{d:>{width}}" for d in range(-ndim, 0))]
    for label, shape in rows:
        cells = [""] * (ndim - len(shape)) + [str(d) for d in shape]
        lines.append(f"  {label:<{name_width - 2}}" + "".join(f"{c:>{width}}" for c in cells))
    marks = "".join(f"{'^' if d in bad else '':>{width}}" for d in range(-ndim, 0))
    if bad:
        lines.append(" " * name_width + marks)
    lines.append(f"  {verdict}")
    return "\n".join(line.rstrip() for line in lines)


def _describe(view: dict) -> str:
    return f"offset {view['offset']}, strides {fmt(view['strides'])}, shape {fmt(view['shape'])}"


def _storage_facts(spec: dict, limit: int) -> tuple[int, int, list[tuple[dict, set[int] | None]], str]:
    """(storage size, cells drawn, each row with the indices it covers, the verdict line)."""
    base = spec["rows"][0]
    size = base["size"]
    drawn = min(size, limit)
    rows = [(row, covered(row) if row["shared"] else None) for row in spec["rows"]]
    yours = [row for row in spec["rows"][1:] if row["label"] == "yours"]
    verdict = ""
    if yours:
        shares = yours[0]["shared"]
        verdict = (f"yours shares {base['label']}'s storage: {'yes' if shares else 'no'}"
                   + (" (right)" if shares == spec["must_share"] else
                      " (it must be a view)" if spec["must_share"] else " (it must be a copy)"))
    return size, drawn, rows, verdict


def _storage_text(spec: dict) -> str:
    size, drawn, rows, verdict = _storage_facts(spec, MAX_TEXT_CELLS)
    base = spec["rows"][0]
    width = len(str(max(drawn - 1, 0))) + 1
    name_width = max(len(row["label"]) for row, _ in rows) + 2
    more = f"  … +{size - drawn}" if size > drawn else ""
    lines = [f"storage of {base['label']} ({size} element{'s' * (size != 1)}) for {spec['what']}:",
             f"  {'index':<{name_width - 2}}" + "".join(f"{i:>{width}}" for i in range(drawn)) + more]
    for row, cells in rows:
        if not row["shared"]:
            lines.append(f"  {row['label']:<{name_width - 2}}  a copy: its own storage of {row['size']} "
                         f"element{'s' * (row['size'] != 1)}")
            continue
        marks = ("".join(f"{'#' if i in cells else '.':>{width}}" for i in range(drawn))
                 if cells is not None else "  (too many elements to draw)")
        lines.append(f"  {row['label']:<{name_width - 2}}" + marks)
    lines += [f"  {row['label'] + ':':<{name_width}}{_describe(row)}" for row, _ in rows]
    if verdict:
        lines.append(f"  {verdict}")
    return "\n".join(line.rstrip() for line in lines)


# ---------------------------------------------------------------- SVG

INK, MUTED, BAD, OK, FILL, EMPTY = "#0f172a", "#64748b", "#b91c1c", "#15803d", "#93c5fd", "#f1f5f9"
FONT = 'font-family="ui-monospace, monospace" font-size="12"'


def _t(x: float, y: float, content: str, *, anchor: str = "start", color: str = INK, bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}" fill="{color}"{weight}>'
            f"{html.escape(content, quote=True)}</text>")


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{html.escape(title, quote=True)}" '
            f'{FONT}><title>{html.escape(title)}</title>' + "".join(body) + "</svg>")


def svg(spec: dict) -> str:
    """A standalone ``<svg>`` element; ``spec`` must come from :func:`clean` (every string is escaped)."""
    return _storage_svg(spec) if spec["kind"] == "storage" else _shapes_svg(spec)


def _shapes_svg(spec: dict) -> str:
    rows, bad, verdict = _shape_rows(spec)
    ndim = max((len(s) for _, s in rows), default=0)
    digits = max([len(str(d)) for _, s in rows for d in s] + [2])
    cell, row_h, left = max(34, 8 * digits + 14), 26, 8 + 7.5 * max(len(label) for label, _ in rows) + 12
    title = (f"shapes of {spec['what']}" if spec["kind"] == "shape" else f"broadcasting in {spec['what']}")
    width = max(left + cell * ndim + 12, 7.2 * max(len(verdict), len(title)) + 20)
    body = [_t(8, 16, title, bold=True)]
    top = 28
    for i, d in enumerate(range(-ndim, 0)):
        body.append(_t(left + cell * i + cell / 2, top + 10, str(d), anchor="middle", color=BAD if d in bad
                       else MUTED))
    top += 16
    for r, (label, shape) in enumerate(rows):
        y = top + r * row_h
        body.append(_t(8, y + 17, label, color=MUTED if label == "broadcast" else INK))
        for j, size in enumerate(shape):
            d = j - len(shape)
            x = left + cell * (ndim + d)
            marked = d in bad
            stroke = f'stroke="{BAD}" stroke-width="2"' if marked else 'stroke="#cbd5e1"'
            body.append(f'<rect x="{x + 2:.0f}" y="{y + 2}" width="{cell - 4}" height="{row_h - 4}" rx="4" '
                        f'fill="{"#fee2e2" if marked else EMPTY}" {stroke}/>')
            body.append(_t(x + cell / 2, y + 17, str(size), anchor="middle", color=BAD if marked else INK))
    y = top + len(rows) * row_h + 16
    body.append(_t(8, y, verdict, color=BAD if bad else OK))
    return _svg(width, y + 10, body, f"{title}: {verdict}")


def _storage_svg(spec: dict) -> str:
    size, drawn, rows, verdict = _storage_facts(spec, MAX_CELLS)
    base = spec["rows"][0]
    cell, row_h = 22, 24
    left = 8 + 7.5 * max(len(row["label"]) for row, _ in rows) + 12
    copies = [7.3 * len(f"own storage: {row['size']} elements (a copy)") + 16 for row, _ in rows if not row["shared"]]
    strip = max([left + cell * drawn + (44 if size > drawn else 0)] + [left + c for c in copies])
    notes = [_describe(row) for row, _ in rows]
    title = f"storage of {base['label']} ({size} elements) for {spec['what']}"
    width = max(strip + 12 + 7.2 * max(len(n) for n in notes), 7.2 * max(len(title), len(verdict)) + 20)
    body = [_t(8, 16, title, bold=True)]
    top = 26
    for i in range(drawn):
        body.append(_t(left + cell * i + cell / 2, top + 12, str(i), anchor="middle", color=MUTED))
    if size > drawn:
        body.append(_t(left + cell * drawn + 6, top + 12, f"… +{size - drawn}", color=MUTED))
    top += 18
    for r, (row, cells) in enumerate(rows):
        y = top + r * row_h
        yours = row["label"] == "yours"
        body.append(_t(8, y + 16, row["label"], bold=yours))
        if not row["shared"]:
            words = f"own storage: {row['size']} elements (a copy)"
            body.append(f'<rect x="{left + 2:.0f}" y="{y + 3}" width="{7.3 * len(words) + 14:.0f}" '
                        f'height="{row_h - 6}" rx="3" fill="#fef3c7" stroke="#b45309" stroke-dasharray="4 2"/>')
            body.append(_t(left + 9, y + 16, words, color="#92400e"))
            body.append(_t(strip + 12, y + 16, notes[r], color=MUTED))
            continue
        for i in range(drawn):
            hit = cells is not None and i in cells
            body.append(f'<rect x="{left + cell * i + 1:.0f}" y="{y + 3}" width="{cell - 2}" height="{row_h - 6}" '
                        f'rx="3" fill="{(BAD if yours and not spec["must_share"] else FILL) if hit else EMPTY}" '
                        f'stroke="#cbd5e1"/>')
        if cells is None:
            body.append(_t(left + 6, y + 16, "too many elements to draw", color=MUTED))
        body.append(_t(strip + 12, y + 16, notes[r], color=MUTED))
    y = top + len(rows) * row_h + 16
    if verdict:
        body.append(_t(8, y, verdict, color=OK if verdict.endswith("(right)") else BAD))
    return _svg(width, y + 10, body, f"{title}. {verdict}")


# ---------------------------------------------------------------- building specs in the grader


def shape_spec(what: str, yours: Any, expected: Any) -> dict | None:
    """Yours vs the expected shape (any sequences of ints, e.g. ``torch.Size``)."""
    return clean({"kind": "shape", "what": what, "yours": [int(d) for d in yours][: MAX_DIMS + 1],
                  "expected": [int(d) for d in expected][: MAX_DIMS + 1]})


def broadcast_spec(what: str, operands: dict[str, Any], yours: Any = None) -> dict | None:
    """Operand shapes (name → shape) of a broadcasting operation, and optionally the shape returned."""
    return clean({"kind": "broadcast", "what": what,
                  "operands": [[str(name), [int(d) for d in shape][: MAX_DIMS + 1]]
                               for name, shape in list(operands.items())[: MAX_OPERANDS + 1]],
                  "yours": None if yours is None else [int(d) for d in yours][: MAX_DIMS + 1]})


def layout(tensor: Any, label: str, shared: bool) -> dict:
    """The storage facts of one received tensor (no values): offset, strides, shape, storage size."""
    return {"label": label, "offset": int(tensor.storage_offset()), "shape": [int(d) for d in tensor.shape],
            "strides": [int(s) for s in tensor.stride()], "shared": shared,
            "size": int(tensor.untyped_storage().nbytes() // max(tensor.element_size(), 1))}


def storage_spec(what: str, base: Any, base_name: str, result: Any, shares: bool, must_share: bool,
                 expected: Any = None) -> dict | None:
    """The base's storage strip with the base itself, the expected view (if given) and yours."""
    rows = [layout(base, base_name, True)]
    if expected is not None and layout(expected, "expected", True)["size"] == rows[0]["size"]:
        rows.append(layout(expected, "expected", True))
    rows.append(layout(result, "yours", shares))
    return clean({"kind": "storage", "what": what, "rows": rows, "must_share": must_share})

