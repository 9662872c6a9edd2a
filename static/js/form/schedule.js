/* Reservation (Korean time, from the lead time up to the horizon) and repeat settings. */
import { describedBy, el } from "../dom.js";
import { gettext } from "../i18n.js";

const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Start the schedule part of ``form``; ``onChange`` runs when the number of sends changes. */
export function startSchedule(form, rules, { onChange }) {
  const limits = rules.limits;
  const kstOffsetMs = limits.kstOffsetMinutes * MINUTE_MS;
  const leadMs = limits.reservationLeadMinutes * MINUTE_MS;
  const horizonMs = limits.reservationHorizonDays * DAY_MS;
  const rdate = form.querySelector("#rdate");
  const rtime = form.querySelector("#rtime");
  const repeatFlag = form.querySelector("#repeatFlag");
  const repeatRow = form.querySelector("#repeat-row");
  const repeatNum = form.querySelector("#repeatNum");
  const reserveHelp = form.querySelector("#reserve-help");
  // After a refused post the server's words stand beside the date or time; the warning
  // waits until either changes, so the problem is said once, not twice.
  let serverError = form.querySelector("#rdate-error, #rtime-error");

  const warning = el("p", { id: "reserve-warning", className: "field-errors", "aria-live": "polite" });
  warning.hidden = true;
  if (reserveHelp) {
    reserveHelp.after(warning);
  }
  for (const control of [rdate, rtime]) {
    if (control) {
      describedBy(control, "reserve-warning");
    }
  }

  /** Today's date in Korea as YYYY-MM-DD. */
  function kstToday() {
    return new Date(Date.now() + kstOffsetMs).toISOString().slice(0, 10);
  }

  /** The chosen reservation as epoch milliseconds, or null when incomplete or malformed. */
  function reservationTime() {
    const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(rdate ? rdate.value : "");
    const t = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(rtime ? rtime.value : "");
    if (!d || !t) {
      return null;
    }
    return Date.UTC(+d[1], +d[2] - 1, +d[3], +t[1], +t[2], +(t[3] || 0)) - kstOffsetMs;
  }

  /** Warn about a reservation the server would refuse; true when there is none to warn of. */
  function checkReservation() {
    if (rdate) {
      rdate.min = kstToday();
    }
    const when = reservationTime();
    const now = Date.now();
    const tooSoon = when !== null && when < now + leadMs;
    const tooFar = when !== null && when > now + horizonMs;
    if (tooSoon) {
      warning.textContent = gettext(
        "The reservation must be at least %(minutes)s minutes from now (Korean time); it would be refused.",
        { minutes: limits.reservationLeadMinutes });
    } else if (tooFar) {
      warning.textContent = gettext(
        "The reservation must be at most %(days)s days from now; it would be refused.",
        { days: limits.reservationHorizonDays });
    } else {
      warning.textContent = "";
    }
    warning.dataset.problem = tooSoon ? "too-soon" : tooFar ? "too-far" : "";
    warning.hidden = (!tooSoon && !tooFar) || serverError !== null;
    return !tooSoon && !tooFar;
  }

  /** Enable the repeat controls only while "repeat" is ticked. */
  function syncRepeat() {
    if (!repeatRow || !repeatFlag) {
      return;
    }
    const on = repeatFlag.checked;
    repeatRow.querySelectorAll("input, select, textarea").forEach((control) => {
      control.disabled = !on;
    });
    repeatRow.classList.toggle("is-disabled", !on);
  }

  /** How many times the message is sent: the repeat count when ticked and valid, else once. */
  function repeatTimes() {
    if (!repeatFlag || !repeatFlag.checked || !repeatNum) {
      return 1;
    }
    const n = parseInt(repeatNum.value, 10);
    return n >= limits.repeatNumMin && n <= limits.repeatNumMax ? n : 1;
  }

  /** The person changed the date or time: the server's old words no longer apply. */
  function onEdit() {
    if (serverError) {
      serverError.remove();
      serverError = null;
    }
    checkReservation();
  }

  for (const control of [rdate, rtime]) {
    if (control) {
      control.addEventListener("change", onEdit);
      control.addEventListener("input", onEdit);
    }
  }
  if (repeatFlag) {
    repeatFlag.addEventListener("change", () => {
      syncRepeat();
      onChange();
    });
  }
  if (repeatNum) {
    repeatNum.addEventListener("change", onChange);
  }
  window.addEventListener("pageshow", syncRepeat);
  syncRepeat();
  checkReservation();
  return Object.freeze({ checkReservation, repeatTimes });
}
