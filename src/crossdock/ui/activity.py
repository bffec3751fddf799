"""The overview's last hour per system: changes received and the share refused, as small charts.

Throughput is the events each system's changes committed to the outbox, counted
in twelve five-minute buckets by the store (:meth:`Outbox.count_by_source`, one
grouped query); the error rate of a bucket is the business exceptions filed for
that system over exceptions plus events (a change refused never becomes an
event). Exceptions are read from the first one filed in the hour (found by a
search over their ids, which grow with time), up to :data:`EXCEPTIONS_COUNTED`:
an hour with more is drawn from its first ones and says so.

The charts are inline SVG drawn here, no script: each has a title, a text
summary for screen readers, labelled axes, and every bar's figure in its tooltip,
so nothing is told by colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from markupsafe import Markup

from crossdock.store import Store

WINDOW = timedelta(hours=1)
BUCKETS = 12
EXCEPTIONS_COUNTED = 5_000
_READ = 2_000


@dataclass(frozen=True, slots=True)
class SystemActivity:
    system: str
    received: list[int]
    errors: list[int]

    @property
    def rates(self) -> list[float | None]:
        """Per bucket, the share of its input refused (None: no input at all)."""
        return [
            e / (r + e) if r + e else None for r, e in zip(self.received, self.errors, strict=True)
        ]

    @property
    def total_rate(self) -> float | None:
        r, e = sum(self.received), sum(self.errors)
        return e / (r + e) if r + e else None


@dataclass(frozen=True, slots=True)
class Activity:
    since: datetime
    now: datetime
    systems: list[SystemActivity]
    exceptions_capped: bool

    @property
    def bucket_minutes(self) -> int:
        return int(WINDOW.total_seconds() // 60 // BUCKETS)


def _bucket(at: datetime, since: datetime) -> int | None:
    i = int((at - since) / (WINDOW / BUCKETS))
    return i if 0 <= i < BUCKETS else None


def first_exception_since(store: Store, since: datetime) -> int:
    """The ``after_id`` past which exceptions were filed at or after ``since`` (ids grow)."""

    def at_or_after(after: int) -> bool | None:
        row = store.exceptions.page(status=None, after_id=after, limit=1)
        return None if not row else row[0].created_at >= since

    hi = 1
    while at_or_after(hi) is False:  # gallop to a bound, then bisect
        hi *= 2
    lo = 0
    while lo < hi:
        mid = (lo + hi) // 2
        if at_or_after(mid) is False:
            lo = mid + 1
        else:
            hi = mid
    return lo


def activity(store: Store, systems: list[str], now: datetime) -> Activity:
    """Each named system's last hour (plus any other system seen in it), bucketed."""
    since = now - WINDOW
    received: dict[str, list[int]] = {s: [0] * BUCKETS for s in systems}
    errors: dict[str, list[int]] = {s: [0] * BUCKETS for s in systems}
    edges = [since + i * (WINDOW / BUCKETS) for i in range(BUCKETS + 1)]
    for source, counts in store.outbox.count_by_source(edges).items():
        received[source or "hub"] = counts
    after_id = first_exception_since(store, since)
    seen = 0
    exceptions_capped = False
    while True:
        rows = store.exceptions.page(status=None, after_id=after_id, limit=_READ)
        for x in rows:
            b = _bucket(x.created_at, since)
            if b is not None:
                errors.setdefault(x.system, [0] * BUCKETS)[b] += 1
        seen += len(rows)
        if len(rows) < _READ:
            break
        if seen >= EXCEPTIONS_COUNTED:
            exceptions_capped = True
            break
        after_id = rows[-1].id
    names = list(dict.fromkeys([*systems, *received, *errors]))
    return Activity(
        since,
        now,
        [
            SystemActivity(n, received.get(n, [0] * BUCKETS), errors.get(n, [0] * BUCKETS))
            for n in names
        ],
        exceptions_capped,
    )


W, H, PAD_L, PAD_B, PAD_T = 260, 84, 36, 16, 8


def bar_chart(
    values: list[float | None], *, label: str, unit: str, since: datetime, top: float | None = None
) -> Markup:
    """A small bar chart, one value per bucket, oldest left; ``None``: no bar ("no input")."""
    peak = top if top is not None else max((v for v in values if v is not None), default=0.0)
    peak = peak or 1.0
    plot_w, plot_h = W - PAD_L - 4, H - PAD_B - PAD_T
    step = plot_w / len(values)
    base = PAD_T + plot_h
    top_label = _fmt(peak, unit, short=True)
    minutes = int(WINDOW.total_seconds() // 60 // len(values))
    parts = [
        f'<svg class="chart" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>',
        f'<line x1="{PAD_L}" y1="{base}" x2="{W - 4}" y2="{base}" class="axis"/>',
        f'<line x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{base}" class="axis"/>',
        f'<text x="{PAD_L - 3}" y="{PAD_T + 8}" class="tick" text-anchor="end">{top_label}</text>',
        f'<text x="{PAD_L - 3}" y="{base}" class="tick" text-anchor="end">0</text>',
        f'<text x="{PAD_L}" y="{H - 3}" class="tick">-60 min</text>',
        f'<text x="{W - 4}" y="{H - 3}" class="tick" text-anchor="end">now</text>',
    ]
    for i, v in enumerate(values):
        start = since + timedelta(minutes=i * minutes)
        span = f"{start:%H:%M} to {start + timedelta(minutes=minutes):%H:%M} UTC"
        x = PAD_L + i * step + 1
        if v is None:
            parts.append(
                f'<rect x="{x:.1f}" y="{PAD_T}" width="{step - 2:.1f}" height="{plot_h}" '
                f'class="none"><title>{span}: no input</title></rect>'
            )
            continue
        h = plot_h * min(v, peak) / peak
        parts.append(
            f'<rect x="{x:.1f}" y="{PAD_T + plot_h - h:.1f}" width="{step - 2:.1f}" '
            f'height="{h:.1f}" class="bar"><title>{span}: {_fmt(v, unit)}</title></rect>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it went through escape or is ours)


def _fmt(v: float, unit: str, *, short: bool = False) -> str:
    """``12 %``, ``1,234``; ``short`` (the axis label): ``1.2k``, ``12k``."""
    if unit == "%":
        return f"{v * 100:.0f} %"
    if short and v >= 10_000:
        return f"{v / 1000:.0f}k"
    if short and v >= 1000:
        return f"{v / 1000:.1f}k"
    return f"{v:,.0f}"


def charts(a: SystemActivity, since: datetime) -> tuple[Markup, Markup]:
    """The system's throughput chart and its error-rate chart."""
    total = sum(a.received)
    rate = a.total_rate
    busiest = max(a.received)
    thr = bar_chart(
        [float(v) for v in a.received],
        label=f"{a.system}: {total:,} changes received in the last hour "
        f"(busiest 5 minutes: {busiest:,})",
        unit="",
        since=since,
    )
    err = bar_chart(
        a.rates,
        label=f"{a.system}: error rate in the last hour "
        + ("no input" if rate is None else f"{rate * 100:.1f} % ({sum(a.errors):,} refused)"),
        unit="%",
        since=since,
        top=max(0.05, max((r for r in a.rates if r is not None), default=0.0)),
    )
    return thr, err


__all__ = ["Activity", "SystemActivity", "activity", "bar_chart", "charts", "first_exception_since"]
