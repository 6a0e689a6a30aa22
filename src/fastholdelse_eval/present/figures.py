"""Figures for reports: deterministic inline SVG (HTML, Markdown) and PNG (PDF).

A figure is a *draw* function ``draw(ax)`` — one of the Evaluation's ``plot_*`` methods, or
:func:`draw_rates`, which plots the (already masked) tidy table. :func:`render` draws it once
on a fresh :class:`matplotlib.figure.Figure` (no pyplot, no global state) and saves it twice:

* SVG with ``svg.hashsalt`` fixed to the figure id and no metadata (no date, no creator), text
  kept as text, every ``id`` prefixed with the figure id so that several figures can live in
  one HTML page, namespace URLs dropped (inline SVG in HTML needs none, and the report must
  contain no URL at all), and ``<title>``/``<desc>`` added for screen readers;
* PNG without the "Software" stamp.

Both are byte-identical across runs. Numbers at risk drawn under survival curves are masked by
the same threshold as the tables (:func:`mask_small_counts`).
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from html import escape

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import Formatter

from fastholdelse_eval.present.labels import Labels

Draw = Callable[[Axes], object]

COLORS = {"intervention": "#1f6fb4", "control": "#d9731a"}  # as in plots_survival
_RC = {
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": True,
}
_INTEGER = re.compile(r"^\s*\d{1,3}(?:[.,\u202f ]?\d{3})*\s*$")


@dataclass(frozen=True)
class Rendered:
    """One figure: SVG at once, PNG (for the PDF) drawn again only when asked for."""

    id: str
    title: str
    desc: str
    svg: str
    make_png: Callable[[], bytes] = field(repr=False, compare=False)

    @cached_property
    def png(self) -> bytes:
        return self.make_png()

    @property
    def aspect(self) -> float:
        """Height / width of the PNG (from its IHDR chunk)."""
        width, height = struct.unpack(">II", self.png[16:24])
        return height / width


def mask_small_counts(fig: Figure, threshold: int, small_text: str) -> int:
    """Replace counts 1..threshold−1 written as text in the figure (numbers at risk).

    Tick labels are left alone (they are axis values, not counts). Returns how many texts
    were replaced.
    """
    ticks = set()
    for ax in fig.axes:
        ticks.update(id(t) for t in ax.get_xticklabels() + ax.get_yticklabels())
    replaced = 0
    for artist in fig.findobj(Text):
        if id(artist) in ticks:
            continue
        text = artist.get_text()
        if not _INTEGER.match(text):
            continue
        value = int(re.sub(r"\D", "", text))
        if 1 <= value < threshold:
            artist.set_text(small_text)
            replaced += 1
    return replaced


class _DecimalComma(Formatter):
    """Wraps an axis formatter and writes its numbers Danish style (0,5; 1.000)."""

    def __init__(self, inner: Formatter):
        self.inner = inner

    def set_axis(self, axis) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs) -> None:
        self.inner.set_locs(locs)

    def __call__(self, x, pos=None) -> str:
        text = self.inner(x, pos)
        return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def use_decimal_comma(fig: Figure) -> None:
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            current = axis.get_major_formatter()
            if not isinstance(current, _DecimalComma):
                axis.set_major_formatter(_DecimalComma(current))


def _clean_svg(svg: str, fig_id: str, title: str, desc: str) -> str:
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\s+xmlns(?::xlink)?="[^"]*"', "", svg, count=2)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = svg.replace("xlink:href=", "href=")
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{fig_id}-{m.group(1)}"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{fig_id}-{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{fig_id}-{m.group(1)}"', svg)
    head_end = svg.index(">") + 1
    head = svg[:head_end - 1] + (f' role="img" aria-labelledby="{fig_id}-title {fig_id}-desc"'
                                 f' class="figure-svg">')
    labels = (f'\n <title id="{fig_id}-title">{escape(title)}</title>'
              f'\n <desc id="{fig_id}-desc">{escape(desc)}</desc>')
    return head + labels + svg[head_end:].rstrip() + "\n"


def render(
    draw: Draw,
    fig_id: str,
    title: str,
    desc: str,
    *,
    size: tuple[float, float] = (7.0, 3.8),
    threshold: int | None = None,
    small_text: str = "",
    decimal_comma: bool = False,
    dpi: int = 150,
) -> Rendered:
    """Draw and save as cleaned SVG; the PNG is drawn the same way on first use."""

    def save(fmt: str, **kwargs) -> bytes | str:
        with mpl.rc_context({**_RC, "svg.hashsalt": fig_id}):
            fig = Figure(figsize=size)
            ax = fig.subplots()
            draw(ax)
            if decimal_comma:
                use_decimal_comma(fig)
            if threshold is not None:
                mask_small_counts(fig, threshold, small_text)
            buf = io.StringIO() if fmt == "svg" else io.BytesIO()
            # "tight" keeps labels drawn outside the axes (numbers at risk) in the picture
            fig.savefig(buf, format=fmt, bbox_inches="tight", pad_inches=0.08, **kwargs)
        return buf.getvalue()

    svg = save("svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return Rendered(fig_id, title, desc, _clean_svg(svg, fig_id, title, desc),
                    lambda: save("png", dpi=dpi, metadata={"Software": None}))


def drawable(table: pd.DataFrame, metrics: list[str]) -> list[str]:
    """The metrics with a shown share in at least one group (the rows :func:`draw_rates` draws)."""
    arms = table["group"].isin(("intervention", "control")) & np.isfinite(
        pd.to_numeric(table["estimate"], errors="coerce").astype(float))
    shown = set(table.loc[arms, "metric"])
    return [m for m in metrics if m in shown]


def draw_rates(table: pd.DataFrame, metrics: list[str], labels: Labels) -> Draw:
    """A dot plot of group shares with their intervals, read from a (masked) tidy table.

    Masked values (NaN) are not drawn; the metric's row then says so in its label. A metric
    hidden in both groups gets no row at all (:func:`drawable` says which are left).
    """
    # a one-group study has its own arm's rows only: one dot per outcome, one legend entry
    arms = tuple(g for g in ("intervention", "control") if (table["group"] == g).any()) \
        or ("intervention", "control")
    metrics = drawable(table, metrics)

    def draw(ax: Axes) -> None:
        y = np.arange(len(metrics))[::-1].astype(float)
        for k, group in enumerate(arms):
            offset = 0.0 if len(arms) == 1 else (0.15 if k == 0 else -0.15)
            for yi, metric in zip(y, metrics, strict=True):
                hit = table[(table["metric"] == metric) & (table["group"] == group)]
                if hit.empty or not np.isfinite(hit["estimate"].iloc[0]):
                    continue
                r = hit.iloc[0]
                est = 100 * r["estimate"]
                if np.isfinite(r["ci_low"]) and np.isfinite(r["ci_high"]):
                    ax.plot([100 * r["ci_low"], 100 * r["ci_high"]], [yi + offset] * 2,
                            color=COLORS[group], linewidth=2, solid_capstyle="butt")
                ax.plot([est], [yi + offset], "o", color=COLORS[group], markersize=6)
        names = []
        for metric in metrics:
            hidden = table[(table["metric"] == metric) & table["group"].isin(arms)
                           & table["estimate"].isna()]
            names.append(labels.metric(metric) + (f" ({labels.fmt['hidden']})"
                                                  if len(hidden) else ""))
        ax.set_yticks(y, names)
        ax.set_xlim(0, 100)
        ax.set_xlabel("%")
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        handles = [mpl.lines.Line2D([], [], marker="o", color=COLORS[g], linewidth=2,
                                    label=labels.group(g)) for g in arms]
        # Above the axes: inside, it covers a dot whenever a share is near 80-100 %.
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                  ncol=len(handles), frameon=False)

    return draw
