"""The funnel's charts as plain geometry for server-rendered SVG (templates/dashboard/_funnel_*.html).

No script and no style attributes (the CSP forbids inline styles): positions and sizes are SVG
attributes computed here, colours come from classes in static/css/funnel.css. Text inside the
SVG uses the page's fonts, so Chinese renders with the page's font stack.
"""
from dataclasses import dataclass

from babel.numbers import format_percent, get_group_symbol
from flask import g
from flask_babel import get_locale

from app.dashboard import bp
from app.dashboard.funnel.services import STEPS, Funnel, FunnelStep, Trend

# The funnel chart's box (SVG user units, about CSS pixels at its natural size).
WIDTH = 300
ROW = 28
BAR = 20
LABEL = 84  # the steps' short names, right-aligned against the bars
NUMBERS = 64  # the count and conversion, right-aligned at the right edge
GAP = 6


@dataclass(frozen=True)
class Bar:
    step: FunnelStep
    number: int  # 1..7, for the colour class
    x: float
    y: float
    width: float
    height: float
    text_y: float
    conversion: str  # the step conversion as the user's locale writes a percentage, or ""


@dataclass(frozen=True)
class FunnelChart:
    funnel: Funnel
    width: int
    height: int
    label_x: int
    number_x: int
    bars: tuple[Bar, ...]


def _symbols() -> tuple[str, str]:
    # A page writes hundreds of numbers: the locale's symbols are looked up once per request
    # (Babel's formatters parse the locale's patterns at every call).
    symbols = g.get("funnel_symbols")
    if symbols is None:
        locale = get_locale() or "en"
        # The percent pattern with the number cut out: "%" in English and Chinese, "\xa0%" in French.
        symbols = g.funnel_symbols = (get_group_symbol(locale), format_percent(0, locale=locale)[1:])
    return symbols


@bp.app_template_filter("funnel_percent")
def percent(fraction: float | None) -> str:
    """0.256 → "26%" in the user's locale; "—" when there is nothing to divide by."""
    return "—" if fraction is None else f"{round(fraction * 100)}{_symbols()[1]}"


@bp.app_template_filter("funnel_count")
def count(n: int) -> str:
    """1234 → "1,234" in the user's locale."""
    return f"{n:,}".replace(",", _symbols()[0])


@bp.app_template_global("funnel_chart")
def funnel_chart(funnel: Funnel) -> FunnelChart:
    """Centred bars, one per step, widths by count (the widest is the chart's top)."""
    area_x, area_w = LABEL + GAP, WIDTH - LABEL - NUMBERS - 2 * GAP
    top = funnel.top or 1
    bars = []
    for i, step in enumerate(funnel.steps):
        width = area_w * step.count / top if step.count else 0
        width = max(width, 2.0)  # an empty step is a hairline, still a link to its (empty) list
        y = 4 + i * ROW
        bars.append(Bar(step=step, number=i + 1, x=round(area_x + (area_w - width) / 2, 1), y=y,
                        width=round(width, 1), height=BAR, text_y=y + BAR / 2 + 4.5,
                        conversion=percent(step.step_conversion) if i else ""))
    return FunnelChart(funnel=funnel, width=WIDTH, height=8 + len(STEPS) * ROW, label_x=LABEL,
                       number_x=WIDTH - 2, bars=tuple(bars))


# The trend chart: one line per step over the quarters.
T_WIDTH = 420
T_HEIGHT = 230
T_LEFT = 36
T_RIGHT = 12
T_TOP = 12
T_BOTTOM = 28


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    count: int
    url: str
    quarter_label: str


@dataclass(frozen=True)
class Line:
    step: object
    number: int
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{p.x},{p.y}" for i, p in enumerate(self.points))


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class Label:
    text: str
    x: float


@dataclass(frozen=True)
class TrendChart:
    trend: Trend
    width: int
    height: int
    left: int
    right: int
    bottom: float
    lines: tuple[Line, ...]
    ticks: tuple[Tick, ...]
    labels: tuple[Label, ...]


def _nice_top(top: int) -> tuple[int, int]:
    """An axis maximum at or above `top` and its step, in 1-2-5 steps, about four ticks."""
    if top <= 4:
        return 4, 1
    raw = top / 4
    magnitude = 10 ** (len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return -(-top // step) * step, step


def trend_chart(trend: Trend) -> TrendChart:
    """Lines per step over the trend's quarters, with y ticks and quarter labels."""
    axis_top, tick = _nice_top(trend.top)
    plot_w = T_WIDTH - T_LEFT - T_RIGHT
    plot_h = T_HEIGHT - T_TOP - T_BOTTOM
    n = len(trend.quarters)
    xs = [T_LEFT + plot_w * (i + 0.5) / n for i in range(n)]

    def y_of(value: int) -> float:
        return round(T_TOP + plot_h * (1 - value / axis_top), 1)

    lines = tuple(
        Line(step=row.step, number=k + 1, points=tuple(
            Point(x=round(xs[i], 1), y=y_of(count), count=count, url=trend.url(row.step, q), quarter_label=q.label)
            for i, (q, count) in enumerate(zip(trend.quarters, row.counts))))
        for k, row in enumerate(trend.rows))
    ticks = tuple(Tick(value=v, y=y_of(v)) for v in range(0, axis_top + 1, tick))
    labels = tuple(Label(text=q.short_label, x=round(xs[i], 1)) for i, q in enumerate(trend.quarters))
    return TrendChart(trend=trend, width=T_WIDTH, height=T_HEIGHT, left=T_LEFT, right=T_WIDTH - T_RIGHT,
                      bottom=T_HEIGHT - T_BOTTOM, lines=lines, ticks=ticks, labels=labels)
