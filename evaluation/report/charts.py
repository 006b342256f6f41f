"""Charts for the report. Each function returns (figure, alt text); the alt text states the numbers
the chart shows, so a screen-reader user or a reader of the tagged PDF gets the same information."""

from __future__ import annotations

import io
import math
import textwrap
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..results import ENGAGEMENT_OUTCOMES as OUTCOMES
from ..results import EngagementResult
from .formatting import money, month_label, pct

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# Figures are made with matplotlib's object interface (matplotlib.figure.Figure), never pyplot: no backend
# is chosen or changed, no global figure registry is touched, and the caller's settings are left alone.

COLOURS = {
    "intervention_arranged": "#2e7d32",  # Alliance "Green"
    "awaiting_intervention": "#f2a900",  # "Amber"
    "declined": "#c62828",  # "Red"
    "out_of_area_referral": "#1f5fa8",  # "Blue"
    "referred_elsewhere": "#00838f",
    "advice_only": "#7b6fb0",
}
INK = "#222222"
ACCENT = "#1f5fa8"

STYLE: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "svg.hashsalt": "evaluation",
    "svg.fonttype": "path",  # text drawn as outlines: the same in every viewer and in the PDF, with no font to find
}


def png_bytes(fig: Figure) -> bytes:
    """Render a figure to PNG with no timestamp or version metadata (byte-reproducible)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


#: The A4 page's text width (210 mm less 16 mm margins each side), in inches: a chart no wider prints at its own size.
TEXT_WIDTH_IN = (210 - 32) / 25.4


def fit_width(fig: Figure, width: float = TEXT_WIDTH_IN - 2 * mpl.rcParams["savefig.pad_inches"]) -> None:
    """Narrow the figure until everything drawn (long tick labels included) fits the text width, so the page never
    scales it down and its labels print at the sizes set (a chart wider than the page once printed ~5 pt labels)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    for _ in range(4):
        drawn = fig.get_tightbbox(canvas.get_renderer()).width
        if drawn <= width:
            return
        w, h = fig.get_size_inches()
        fig.set_size_inches(max(w - (drawn - width) - 0.02, 1.5), h)


def svg_bytes(fig: Figure) -> bytes:
    """Render a figure as vector graphics (SVG) with no date or version metadata and fixed element ids
    (byte-reproducible): sharp at any zoom in the HTML and vector in the PDF, and no wider than the page's text."""
    fit_width(fig)
    buf = io.BytesIO()
    with mpl.rc_context({"svg.hashsalt": "evaluation", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def _subplots(width: float, height: float, *args, **kwargs):
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots(*args, **kwargs)


def _fig(width: float = 6.3, height: float = 3.0) -> tuple[Figure, Axes]:
    with mpl.rc_context(STYLE):
        fig, ax = _subplots(width, height)
    return fig, ax


def _num(v) -> float | None:
    """A shown table value as a number, or None if suppressed ('c') or not applicable."""
    text = str(v).replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


HATCH: dict[str, Any] = {"facecolor": "#d9d9d9", "hatch": "///", "edgecolor": "#8c8c8c", "linewidth": 0}


def outcomes_by_month(eng: EngagementResult, shown: pd.DataFrame) -> tuple[Figure, str]:
    """Stacked bars of outcomes by month from the published (disclosure-controlled) table. Suppressed
    cells are drawn together as one hatched block: their sum is the month's total minus the shown cells."""
    with mpl.rc_context(STYLE):
        fig, ax = _fig()
        x = np.arange(len(eng.months))
        bottom = np.zeros(len(eng.months))
        hidden = np.zeros(len(eng.months))
        # the month totals as published: where a total is hidden, so is the size of its hidden block
        all_row = next((r for r in shown.index if str(r).startswith("All")), None)
        published_totals = [_num(shown.at[all_row, m]) if all_row is not None else None for m in eng.months]
        for key in eng.outcomes_shown:
            label = OUTCOMES[key]
            vals = np.array([_num(shown.at[key, m]) for m in eng.months], dtype=object)
            drawn = np.array([v if v is not None else 0.0 for v in vals], dtype=float)
            ax.bar(x, drawn, bottom=bottom, color=COLOURS[key], label=label, width=0.6)
            for xi, b, v in zip(x, bottom, drawn):
                if v >= 3:
                    # matplotlib's stub types x as float only; a numpy integer works (converted like any real)
                    ax.text(float(xi), b + v / 2, f"{int(v)}", ha="center", va="center", color="white", fontsize=8)
            bottom += drawn
        hidden = np.array([t - b if t is not None else 0.0 for t, b in zip(published_totals, bottom)], dtype=float)
        for xi, t, b in zip(x, published_totals, bottom):
            if t is None:
                ax.text(float(xi), b + 0.3, "c", ha="center", va="bottom", fontsize=8, color="#555555")
        if (hidden > 0).any():
            ax.bar(x, hidden, bottom=bottom, width=0.6, label="Not shown (small numbers)", **HATCH)
        if len(eng.months) <= 6:
            ax.set_xticks(x, [f"{month_label(m)}\n({eng.days_in_month[m]} days)" for m in eng.months])
        else:  # a longer programme: month names only, turned, and over 12 months every k-th so none overlap (days in the alt text)
            step = math.ceil(len(eng.months) / 12)
            ax.set_xticks(x[::step], [month_label(m) for m in eng.months][::step], rotation=45, ha="right")
        ax.set_ylabel("Children engaged")
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_title("Engagement outcome by month of first contact", loc="left")
    parts = []
    for m in eng.months:
        items = [f"{shown.at[k, m]} {OUTCOMES[k].lower()}" for k in eng.outcomes_shown if shown.at[k, m] != "c"]
        hidden_n = sum(1 for k in eng.outcomes_shown if shown.at[k, m] == "c")
        parts.append(
            f"{month_label(m)} ({eng.days_in_month[m]} days): "
            + ", ".join(items)
            + (f"; {hidden_n} outcome(s) not shown because the numbers are small" if hidden_n else "")
        )
    alt = "Stacked bar chart of children engaged by month and outcome. " + "; ".join(parts) + "."
    return fig, alt


def rates_with_ci(rates: pd.DataFrame, title: str, published=None) -> tuple[Figure, str]:
    """Rates with their intervals; `published(measure)` (the rates table's decisions) selects those shown."""
    rates = rates.reset_index(drop=True)
    if published is not None:
        rates = rates[[bool(published(m)) for m in rates.measure]].reset_index(drop=True)
    with mpl.rc_context(STYLE):
        fig, ax = _fig(height=0.45 * max(len(rates), 1) + 1.0)
        y = np.arange(len(rates))[::-1]
        ax.errorbar(
            rates.rate * 100,
            y,
            xerr=[(rates.rate - rates.ci_low) * 100, (rates.ci_high - rates.rate) * 100],
            fmt="o",
            color=ACCENT,
            ecolor=ACCENT,
            capsize=3,
        )
        for yi, r in zip(y, rates.itertuples()):
            ax.text(r.ci_high * 100 + 2, yi, f"{pct(r.rate)} ({r.numerator}/{r.denominator})", va="center", fontsize=8)
        ax.set_yticks(y, rates.label)
        ax.set_xlim(0, 115)
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.set_xlabel("Per cent, with 95% confidence interval")
        ax.set_title(title, loc="left")
    alt = (
        f"Dot plot with 95% confidence intervals: {title}. "
        + "; ".join(
            f"{r.label}: {pct(r.rate)} ({r.numerator} of {r.denominator}), interval {pct(r.ci_low)} to {pct(r.ci_high)}"
            for r in rates.itertuples()
        )
        + "."
    )
    return fig, alt


def funnel(eng: EngagementResult, shown: pd.DataFrame) -> tuple[Figure, str]:
    stages = shown.Stage.tolist()
    vals = [_num(v) for v in shown.Children]
    with mpl.rc_context(STYLE):
        fig, ax = _fig(height=0.42 * len(stages) + 0.9)
        y = np.arange(len(stages))[::-1]
        top = max([v for v in vals if v is not None] + [1])
        for yi, v in zip(y, vals):
            if v is None:
                ax.text(top * 0.01, yi, "not shown (protects small numbers)", va="center", fontsize=8, color="#555555")
            else:
                ax.barh(yi, v, color=ACCENT, height=0.6)
                ax.text(v + top * 0.01, yi, f"{int(v)}", va="center", fontsize=8)
        ax.set_yticks(y, stages)
        ax.set_ylim(-0.6, len(stages) - 0.4)  # a stage shown only as words keeps its row clear of the axis
        ax.set_xlim(0, top * 1.12)
        ax.set_xlabel("Children")
        ax.set_title("Engagement funnel", loc="left")
    alt = (
        "Horizontal bar chart of the engagement funnel: "
        + "; ".join(f"{st}: {int(v) if v is not None else 'not shown'}" for st, v in zip(stages, vals))
        + "."
    )
    return fig, alt


def pathway_demand(eng: EngagementResult, shown: pd.DataFrame) -> tuple[Figure, str]:
    p = shown[shown.Pathway != "All pathways recorded"].reset_index(drop=True)
    with mpl.rc_context(STYLE):
        fig, ax = _fig(height=0.35 * len(p) + 1.0)
        y = np.arange(len(p))[::-1]
        for yi, r in zip(y, p.itertuples()):
            a, w, t = _num(r.Arranged), _num(r._3), _num(r.Total)
            if a is not None and w is not None:
                ax.barh(yi, a, color=COLOURS["intervention_arranged"], height=0.6)
                ax.barh(yi, w, left=a, color=COLOURS["awaiting_intervention"], height=0.6)
            elif t is not None:
                ax.barh(yi, t, height=0.6, **HATCH)
            else:
                ax.text(0.2, yi, "not shown (protects small numbers)", va="center", fontsize=8, color="#555555")
        ax.set_yticks(y, p.Pathway)
        ax.set_ylim(-0.6, len(p) - 0.4)
        ax.set_xlabel("Children")
        from matplotlib.patches import Patch

        ax.legend(
            handles=[
                Patch(color=COLOURS["intervention_arranged"], label="Arranged"),
                Patch(color=COLOURS["awaiting_intervention"], label="Wanted, awaiting"),
                Patch(label="Split not shown (small numbers)", **HATCH),
            ],
            frameon=False,
            fontsize=8,
            loc="lower right",
        )
        ax.set_title("Diversionary pathways arranged or wanted", loc="left")
    alt = (
        "Horizontal bar chart of diversionary pathway demand: "
        + "; ".join(f"{r.Pathway}: {r.Arranged} arranged, {r._3} wanted, {r.Total} in all" for r in p.itertuples())
        + " (c: not shown because the numbers are small)."
    )
    return fig, alt


def love_plot(cm, policy=None) -> tuple[Figure, str]:
    """Absolute standardised mean differences before and after matching, one row per covariate
    (rows whose shares are not published for disclosure reasons are left out)."""
    from .sections.matching import balance_alt_text, covariate_label, hidden_balance

    drop: set[str] = set()
    if policy is not None:
        drop = set().union(*hidden_balance(cm, policy).values())
    b = cm.result.balance(un=True).drop(index=["distance", *drop], errors="ignore")
    labels = [covariate_label(n, cm.covariates) for n in b.index]
    with mpl.rc_context(STYLE):
        fig, ax = _fig(height=0.22 * len(b) + 1.1)
        y = np.arange(len(b))[::-1]
        ax.scatter(b.std_mean_diff_un.abs(), y, s=18, facecolors="none", edgecolors="#777777", label="Before matching", zorder=3)
        ax.scatter(b.std_mean_diff.abs(), y, s=18, color=ACCENT, label="After matching", zorder=4)
        ax.axvline(cm.threshold, color="#b00020", linestyle="--", linewidth=1)
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_xlabel("Absolute standardised mean difference")
        ax.grid(axis="x", color="#e3e3e3")
        ax.legend(frameon=False, fontsize=8, loc="lower right")
        ax.set_title("Covariate balance before and after matching", loc="left")
    return fig, balance_alt_text(cm, drop)


def overlap_plot(cm) -> tuple[Figure, str]:
    """Distribution of the propensity score by group, before and after matching (weighted)."""
    r = cm.result
    with mpl.rc_context(STYLE):
        fig, axes = _subplots(6.3, 2.5, 1, 2, sharex=True, sharey=True)
        r.overlap_plot(ax=axes)
        for a in axes:
            a.spines[["top", "right"]].set_visible(False)
    d = r.distance
    t = r.treat == 1
    w = r.weights.to_numpy()
    q = lambda x: f"{x:.2f}"  # noqa: E731
    alt = (
        f"Two histograms of the {'linear ' if str(r.spec.get('link', '')).startswith('linear') else ''}propensity score. "
        f"Before matching, programme children range from {q(d[t].min())} to {q(d[t].max())} (median {q(d[t].median())}) and "
        f"comparison children from {q(d[~t].min())} to {q(d[~t].max())} (median {q(d[~t].median())}). After matching the "
        f"matched comparison children range from {q(d[~t & (w > 0)].min())} to {q(d[~t & (w > 0)].max())}, with a weighted mean of "
        f"{q(float(np.average(d[~t & (w > 0)], weights=w[~t & (w > 0)])))} against {q(float(d[t & (w > 0)].mean()))} for the "
        f"matched programme children."
    )
    return fig, alt


def before_after(res, outcome: str, log=None) -> tuple[Figure, str]:
    """Rates per child-year with 95% CIs, before and after the index, by group, one panel per window (a window whose
    rates are not published, `few_events`, is left out)."""
    from .sections.outcomes import NOUNS, before_after_alt, few_events

    windows = [w for w in sorted(res.results[outcome]) if log is None or not few_events(res, outcome, w, log)]
    if not windows:
        fig, ax = _fig(height=1.0)
        ax.axis("off")
        ax.text(0.0, 0.5, "Not shown: too few events to publish the groups' rates.", fontsize=9)
        return fig, before_after_alt(res, outcome, log)
    with mpl.rc_context(STYLE):
        fig, axes = _subplots(6.3, 2.6, 1, len(windows), sharey=True, squeeze=False)
        for ax, window in zip(axes[0], windows):
            s = res.get(outcome, window).summary
            for group, colour, offset, label in (
                ("programme", ACCENT, -0.06, "Programme"),
                ("comparison", "#f2a900", 0.06, "Matched comparison"),
            ):
                g = s[s.group == group].set_index("period").loc[["before", "after"]]
                x = np.array([0, 1]) + offset
                ax.errorbar(
                    x, g.rate, yerr=[g.rate - g.rate_ci_low, g.rate_ci_high - g.rate], fmt="o-", color=colour, capsize=3, label=label
                )
            ax.set_xticks([0, 1], ["Before", "After"])
            ax.set_xlim(-0.4, 1.4)
            ax.set_title(f"{window} months either side", fontsize=9)
            ax.grid(axis="y", color="#e3e3e3")
        axes[0][0].set_ylabel(f"{NOUNS[outcome][0].capitalize()} per child-year")
        axes[0][0].set_ylim(bottom=0)
        axes[0][-1].legend(frameon=False, fontsize=8)
    return fig, before_after_alt(res, outcome, log)


def kaplan_meier(res, keys: list[str], policy=None, at_risk: dict | None = None) -> tuple[Figure, str]:
    """Weighted Kaplan-Meier curves (share without the event) by group, one panel per outcome, as
    published (read at month ends, each step holding at least the threshold number of events; see
    sections.reoffending.published_curve), with the numbers at risk under each panel when given
    (key -> group -> frame of months and text, from sections.reoffending.numbers_at_risk)."""
    from ..disclosure import DisclosurePolicy
    from .sections.reoffending import km_alt, published_curve

    policy = policy if policy is not None else DisclosurePolicy()
    groups = (("programme", ACCENT, "Programme"), ("comparison", "#f2a900", "Matched comparison"))
    with mpl.rc_context(STYLE):
        fig, axes = _subplots(6.3, 3.5 if at_risk else 2.7, 1, len(keys), sharey=True, squeeze=False)
        for i, (ax, key) in enumerate(zip(axes[0], keys)):
            m = res.measures[key]
            for group, colour, label in groups:
                c = published_curve(res, key, group, policy)
                ax.step(c.months, c.survival, where="post", color=colour, label=label)
            ax.set_title(textwrap.fill(m.label, 42), fontsize=8.5, loc="left")
            ax.set_xlabel("Months after the index arrest")
            ax.grid(color="#e3e3e3")
            ax.set_ylim(0, 1.02)
            if at_risk and key in at_risk:
                # the risk table: one row per group under the axis, each number at the month it counts
                below = ax.get_xaxis_transform()
                for row, (group, colour, label) in enumerate(groups):
                    y = -0.44 - 0.13 * row
                    for month, text in zip(at_risk[key][group].months, at_risk[key][group].at_risk):
                        ax.text(month, y, text, transform=below, ha="center", va="top", fontsize=8, color=colour)
                    if i == 0:
                        ax.text(-0.04, y, label, transform=ax.transAxes, ha="right", va="top", fontsize=8, color=colour)
                if i == 0:
                    ax.text(-0.04, -0.32, "Number at risk", transform=ax.transAxes, ha="right", va="top", fontsize=8, color=INK)
        axes[0][0].set_ylabel("Share without the event")
        axes[0][-1].legend(frameon=False, fontsize=8, loc="lower left")
        if at_risk:
            fig.subplots_adjust(bottom=0.38, left=0.22)
    return fig, km_alt(res, keys, at_risk)


def tornado(v) -> tuple[Figure, str]:
    """One-way sensitivity of the benefit-cost ratio: a bar per input from its low to its high value."""
    from .sections.costs import tornado_alt

    npv = v.tornado_on_npv
    t = v.tornado
    lo_col, hi_col, base, even = (
        ("npv_low", "npv_high", float(t.base_npv.iloc[0]), 0.0) if npv else ("low", "high", float(t.base.iloc[0]), 1.0)
    )
    t = t.assign(_swing=(t[hi_col] - t[lo_col]).abs()).sort_values("_swing", ascending=False)
    with mpl.rc_context(STYLE):
        fig, ax = _fig(height=0.42 * len(t) + 1.0)
        y = np.arange(len(t))[::-1]
        left = np.minimum(t[lo_col], t[hi_col])
        ax.barh(y, (t[hi_col] - t[lo_col]).abs(), left=left, color=ACCENT, height=0.55)
        ax.axvline(base, color=INK, linewidth=1)
        ax.axvline(even, color="#b00020", linestyle="--", linewidth=1)
        ax.use_sticky_edges = False  # a bar's base would otherwise hold the axis there, against the margin
        ax.margins(x=0.06)  # the widest bar stops short of the frame (it looked cut off at both ends)
        ax.set_yticks(y, t.parameter, fontsize=8)
        ax.set_xlabel("Net present value (£: benefits minus costs)" if npv else "Benefit-cost ratio (public value per £1)")
        ax.set_title("What moves the net present value" if npv else "What moves the benefit-cost ratio", loc="left", pad=14)
        if npv:
            # thousands of pounds, few ticks: full amounts overprint each other at this width
            ax.xaxis.set_major_locator(MaxNLocator(5))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: money(x / 1000) + "k" if x else "£0"))
            ax.set_xlabel("Net present value (£ thousands: benefits minus costs)")
        # labelled above the plot, where no tick or bar can sit under it (it once overprinted the x-axis ticks)
        ax.annotate(
            "break-even", xy=(even, 1.0), xycoords=("data", "axes fraction"), xytext=(2, 2), textcoords="offset points",
            color="#b00020", fontsize=8, va="bottom", ha="left", annotation_clip=False,
        )  # fmt: skip
    return fig, tornado_alt(v)


def logic_model(model: list[tuple[str, list[tuple[str, bool]]]]) -> tuple[Figure, str]:
    """The theory of change as a logic model: a column per stage (inputs to impacts), a box per element, solid where
    this report measures it and dashed grey where it does not."""
    from .sections.context import logic_model_text

    rows = max(len(boxes) for _, boxes in model)
    with mpl.rc_context(STYLE):
        fig, ax = _fig(6.3, 0.62 * rows + 0.55)  # four lines of 7 pt fit a box
        ax.set_position((0.0, 0.0, 1.0, 1.0))  # the diagram is the whole figure: boxes wide enough for their words
        ax.set_axis_off()
        n = len(model)
        ax.set_xlim(0, n)
        ax.set_ylim(-rows - 0.15, 0.55)
        for i, (stage, boxes) in enumerate(model):
            ax.text(i + 0.5, 0.3, stage, ha="center", va="center", fontsize=9, fontweight="bold", color=INK)
            for j, (text, measured) in enumerate(boxes):
                top = -j - 0.05
                ax.add_patch(
                    FancyBboxPatch(
                        (i + 0.06, top - 0.82), 0.88, 0.82, boxstyle="round,pad=0,rounding_size=0.05",
                        facecolor="#eef3fa" if measured else "#ffffff", edgecolor=ACCENT if measured else "#9e9e9e",
                        linestyle="-" if measured else (0, (3, 2)), linewidth=0.9,
                    )
                )  # fmt: skip
                lines = textwrap.wrap(text, 17)
                if len(lines) > 4:
                    lines = lines[:3] + [textwrap.shorten(" ".join(lines[3:]), 17, placeholder="…")]
                ax.text(
                    i + 0.5, top - 0.41, "\n".join(lines), ha="center", va="center", fontsize=7,
                    color=INK if measured else "#616161", linespacing=1.15,
                )  # fmt: skip
            if i < n - 1:
                ax.annotate("", xy=(i + 1.04, 0.3), xytext=(i + 0.96, 0.3), arrowprops={"arrowstyle": "->", "color": INK, "lw": 0.9})
        ax.text(0, -rows - 0.12, "Solid: measured in this report.  Dashed: not measured here.", fontsize=7, color="#616161", va="bottom")
    return fig, "Logic model of the programme, from inputs to impacts. " + logic_model_text(model)


def attrition_flow(boxes: list[tuple[str, str]]) -> tuple[Figure, str]:
    """A flow diagram of who is in the analysis: one box per step, top to bottom, with the counts as
    published ('c' where suppressed). `boxes` comes from tables already through disclosure control."""
    wrapped = [textwrap.wrap(label, 56 if label.startswith("Left out") else 60) or [""] for label, _ in boxes]
    heights = [0.3 + 0.36 * len(lines) for lines in wrapped]
    gap = 0.35
    total = sum(heights) + gap * (len(boxes) - 1)
    with mpl.rc_context(STYLE):
        fig, ax = _fig(6.3, 0.42 * total + 0.1)
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(-total, 0)
        top = 0.0
        for i, ((label, value), lines, h) in enumerate(zip(boxes, wrapped, heights)):
            side = label.startswith("Left out")
            indent = 0.06 if side else 0.0
            ax.add_patch(
                FancyBboxPatch(
                    (0.01 + indent, top - h),
                    0.98 - indent,
                    h,
                    boxstyle="round,pad=0,rounding_size=0.02",
                    facecolor="#f7f7f7" if side else "#eef3fa",
                    edgecolor="#8c8c8c" if side else ACCENT,
                    linewidth=0.8,
                    mutation_aspect=0.3,
                )
            )
            ax.text(0.03 + indent, top - h / 2, "\n".join(lines), va="center", ha="left", fontsize=8, color=INK, linespacing=1.3)
            ax.text(0.97, top - h / 2, f"{value} children", va="center", ha="right", fontsize=8.5, color=INK, fontweight="bold")
            if i < len(boxes) - 1:
                ax.annotate(
                    "",
                    xy=(0.5, top - h - gap),
                    xytext=(0.5, top - h),
                    arrowprops={"arrowstyle": "-|>", "color": "#8c8c8c", "linewidth": 0.8},
                )
            top -= h + gap
    alt = (
        "Flow of children through the analysis, step by step: "
        + "; ".join(f"{label}: {value} children" for label, value in boxes)
        + ". 'c' marks a number withheld to protect confidentiality."
    )
    return fig, alt
