"""The dashboard (every signed-in person's first page), the gateway check (admins) and
the navigation each role sees."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import format_datetime, format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from smsform import messages
from smsform.errors import wants_json
from smsform.permissions import Permission, requires
from smsform.services import dashboard, delivery, gateway_check
from smsform.services.dashboard import Day, Summary
from smsform.services.gateway_check import Report
from smsform.views import navigation as nav

bp = Blueprint("dashboard", __name__)

WINDOW_LABELS = {"today": _l("Today"), "week": _l("7 days"), "month": _l("30 days")}


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    """The navigation's groups for every page (smsform.views.navigation), made only when the
    header is rendered (``nav_groups()`` in components/header.html)."""
    return {"nav_groups": nav.groups}


@bp.route("/")
def home() -> Response:
    """The home page is the dashboard (which sends the anonymous to sign in)."""
    return redirect(url_for("dashboard.index"))


@bp.route("/dashboard")
@requires(Permission.VIEW)
def index() -> str:
    """Credit, sends by result, the 30-day chart and the sends that need a look."""
    credit = dashboard.credit()
    summary = dashboard.summary()
    credit_error = (messages.credit_failure_text(credit.error)
                    if credit.error is not None else None)
    last_known = credit.last_known and {
        "count": credit.last_known[1],
        "when": format_datetime(credit.last_known[0], "yyyy-MM-dd HH:mm")}
    return render_template(
        "dashboard/index.html", credit=credit, credit_error=credit_error,
        credit_last_known=last_known,
        counts=_count_rows(summary), windows=[(n, WINDOW_LABELS[n]) for n, _d in
                                              dashboard.WINDOWS],
        count_columns=[_("Result"), *[(WINDOW_LABELS[n], "num") for n, _d in dashboard.WINDOWS]],
        chart=chart(summary.days), attention=_attention_rows(summary),
        delivery=_delivery_figures(delivery.rates()))


def _delivery_figures(rates: delivery.Rates) -> dict[str, Any]:
    """The delivery card: the rate and the counts over 7 and 30 days, the month's failures
    by meaning, and the no-report count (linked to the log's filter)."""
    def window(counts: dict[str, int]) -> dict[str, Any]:
        rate = delivery.Rates.rate(counts)
        return {"rate": "-" if rate is None else f"{rate * 100:.1f}%",
                "counts": messages.delivery_counts_text(counts) or "-",
                "no_report": counts.get("no_report", 0)}

    return {"week": window(rates.week), "month": window(rates.month),
            "failures": [{"code": code or "", "count": count,
                          "meaning": messages.delivery_text(code) if code
                          else messages.delivery_state_meaning("failed")}
                         for code, count in rates.failures],
            "no_report_url": url_for("sends.index", delivery="no_report"),
            "failed_url": url_for("sends.index", delivery="failed")}


def _count_rows(summary: Summary) -> list[dict[str, Any]]:
    """One row per result (and the total), a cell per window."""
    names = [n for n, _d in dashboard.WINDOWS]
    results = [*dashboard.RESULTS, *sorted(
        {r for n in names for r in summary.counts[n]} - set(dashboard.RESULTS))]
    rows = [{"result": r, "label": messages.log_result_text(r),
             "cells": [summary.counts[n].get(r, 0) for n in names]} for r in results]
    rows.append({"result": "total", "label": _("All sends"),
                 "cells": [summary.total(n) for n in names]})
    return rows


def _attention_rows(summary: Summary) -> list[dict[str, Any]]:
    """The latest refused and unknown sends, with their meaning and a link to each."""
    return [{"id": a.id, "when": format_datetime(a.created_at, "yyyy-MM-dd HH:mm"),
             "actor": a.actor, "kind": "LMS" if a.kind == "L" else "SMS",
             "recipients": a.recipient_count, "result": a.result,
             "result_text": messages.log_result_text(a.result), "code": a.code or "",
             "meaning": messages.attention_text(a.result, a.code),
             "url": url_for("sends.show", send_id=a.id)}
            for a in summary.attention]


# -- the chart: server-drawn SVG, with its numbers as text ------------------------------

# Across, the chart is drawn in percent of the plot's width, so its words keep their size
# (12 and 14 px) on a phone and on a desktop; down, in pixels. The scale's numbers sit in
# the plot's left margin (CSS: svg.chart).
PANEL_HEIGHT, PANEL_TOPS = 110, (34, 196)
LABEL_EVERY = 5


def _pct(value: float) -> str:
    return f"{round(value, 3):g}%"


@dataclass(frozen=True)
class Bar:
    """One day's bar in a panel."""

    x: str
    y: float
    width: str
    height: float
    tip: str


@dataclass(frozen=True)
class Panel:
    """One series: its heading, its scale and its bars."""

    css: str
    heading: str
    top: int
    bottom: int
    top_label: str
    bars: tuple[Bar, ...]


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (at least 1): the axis's top."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _panel(css: str, heading: str, top: int, values: list[int], tips: list[str]) -> Panel:
    """Bars scaled to the panel's nice maximum."""
    ceiling = nice_ceiling(max(values, default=0))
    slot = 100 / len(values)
    bars = []
    for i, (value, tip) in enumerate(zip(values, tips, strict=True)):
        height = round(PANEL_HEIGHT * value / ceiling, 1)
        bars.append(Bar(_pct(i * slot + slot * 0.15), round(top + PANEL_HEIGHT - height, 1),
                        _pct(slot * 0.7), height, tip))
    return Panel(css, heading, top, top + PANEL_HEIGHT, format_number(ceiling), tuple(bars))


def chart(days: tuple[Day, ...]) -> dict[str, Any]:
    """The 30-day chart's geometry, its title and description, and its data as rows."""
    iso = [d.day.isoformat() for d in days]
    messages_tips = [ngettext("%(day)s: %(count)s message", "%(day)s: %(count)s messages",
                              d.messages, day=iso[i], count=format_number(d.messages))
                     for i, d in enumerate(days)]
    credit_tips = [ngettext("%(day)s: %(count)s credit", "%(day)s: %(count)s credits", d.credits,
                            day=iso[i], count=format_number(d.credits))
                   for i, d in enumerate(days)]
    panels = (
        _panel("messages",
               _("Messages accepted per day"),
               PANEL_TOPS[0], [d.messages for d in days], messages_tips),
        _panel("credits", _("Credits used per day"), PANEL_TOPS[1], [d.credits for d in days],
               credit_tips),
    )
    slot = 100 / len(days)
    labels = [{"x": _pct(i * slot + slot / 2), "text": f"{d.day.month}/{d.day.day}"}
              for i, d in enumerate(days)
              if (len(days) - 1 - i) % LABEL_EVERY == 0]
    return {
        "height": PANEL_TOPS[1] + PANEL_HEIGHT + 30,
        "label_y": PANEL_TOPS[1] + PANEL_HEIGHT + 18,
        "panels": panels, "labels": labels,
        "title": _("Messages and credits used, last %(count)s days", count=len(days)),
        "desc": chart_description(days),
        "rows": [{"day": iso[i], "messages": d.messages, "credits": d.credits,
                  "tests": d.test_messages} for i, d in enumerate(days)],
    }


def chart_description(days: tuple[Day, ...]) -> str:
    """The chart in sentences, for screen readers and anyone without the picture."""
    messages_total = sum(d.messages for d in days)
    credits_total = sum(d.credits for d in days)
    tests = sum(d.test_messages for d in days)
    first, last = days[0].day.isoformat(), days[-1].day.isoformat()
    sentences = [ngettext(
        "From %(first)s to %(last)s (Korea time), the gateway accepted %(count)s message.",
        "From %(first)s to %(last)s (Korea time), the gateway accepted %(count)s messages.",
        messages_total, first=first, last=last, count=format_number(messages_total))]
    sentences.append(ngettext("They used %(count)s credit.", "They used %(count)s credits.",
                              credits_total, count=format_number(credits_total)))
    if messages_total:
        busiest = max(days, key=lambda d: (d.messages, d.day))
        sentences.append(ngettext(
            "The busiest day was %(day)s, with %(count)s message.",
            "The busiest day was %(day)s, with %(count)s messages.",
            busiest.messages, day=busiest.day.isoformat(),
            count=format_number(busiest.messages)))
    if tests:
        sentences.append(ngettext(
            "Test sends (checked, never sent or charged) are not counted: %(count)s message.",
            "Test sends (checked, never sent or charged) are not counted: %(count)s messages.",
            tests, count=format_number(tests)))
    return " ".join(sentences)


# -- the gateway check ---------------------------------------------------------------------

CHECK_LABELS = {"remaining": _l("Remaining credit"), "senders": _l("Sender numbers"),
                "results": _l("Results look-up")}


def _check_rows(report: Report) -> list[dict[str, Any]]:
    rows = []
    for check in report.checks:
        summary, causes = messages.gateway_check_text(check, report)
        rows.append({
            "name": check.name, "label": CHECK_LABELS[check.name], "kind": check.kind.value,
            "passed": check.kind.passed, "ms": check.ms,
            "value": messages.gateway_check_value(check.name, check.value)
            if check.kind.passed else "",
            "summary": summary, "causes": causes, "code": check.code or "",
            # the library's words for a transport failure (an address, a status); a code's
            # meaning is in the summary already
            "detail": check.detail if check.code is None else ""})
    return rows


@bp.route("/gateway")
@requires(Permission.CHECK_GATEWAY)
def gateway() -> str | dict[str, Any]:
    """Run the credit, sender and result look-ups now (never a send) and explain each."""
    report = gateway_check.run()
    rows = _check_rows(report)
    last_sync = _last_sync(delivery.last_run())
    if wants_json():
        return {"passed": report.passed, "base_url": report.base_url,
                "simulated": report.simulated,
                "checks": [{k: r[k] for k in ("name", "kind", "passed", "ms", "code", "summary",
                                               "causes")} for r in rows],
                "delivery_sync": last_sync and {k: last_sync[k] for k in (
                    "started_at", "calls", "matched", "stopped", "summary", "stopped_text")}}
    return render_template("dashboard/gateway.html", report=report, checks=rows,
                           last_sync=last_sync)


def _last_sync(run: dict[str, Any] | None) -> dict[str, Any] | None:
    """The delivery sync's last run for /gateway: when, what it did, why it stopped."""
    if run is None:
        return None
    figures = delivery.SyncReport(**{k: run[k] for k in (
        "calls", "listed", "matched", "foreign", "delivered", "failed", "no_report",
        "resolved")})
    return {"started_at": format_datetime(run["started_at"], "yyyy-MM-dd HH:mm"),
            "calls": run["calls"], "matched": run["matched"], "stopped": run["stopped"],
            "summary": messages.sync_summary_text(figures),
            "stopped_text": messages.sync_stopped_text(run["stopped"], run["detail"] or "")
            if run["stopped"] else ""}
