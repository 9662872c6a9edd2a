/* The byte meter, the automatic SMS -> LMS switch, characters that cannot be sent, the
 * cost line, and a warning when the cost is over the credit last known (rules.knownCredit,
 * null when none is known: the server refuses such a send with the same numbers). */
import { appendWith, el, marks } from "../dom.js";
import { formatNumber, gettext, ngettext } from "../i18n.js";
import * as euckr from "../euckr.js";

/** Start the message part of ``form``; ``onChange`` runs after each edit. */
export function startMeter(form, rules, { onChange }) {
  const limits = rules.limits;
  const msg = form.querySelector("#msg");
  const meter = form.querySelector("#meter");
  const kindNotice = form.querySelector("#kind-notice");
  const smsType = form.querySelector("#smsType");
  const subjectRow = form.querySelector("#subject-row");
  const costOut = form.querySelector("#cost");
  const unsupportedOut = form.querySelector("#unsupported");
  const testflag = form.querySelector("#testflag");

  // A warning line under the meter for messages over the LMS limit.
  const lengthWarning = el("p", { id: "length-warning", className: "warn", "aria-live": "polite" });
  lengthWarning.hidden = true;
  if (meter) {
    (meter.closest(".meter-row") || meter).after(lengthWarning);
  }
  // A warning line under the cost for a send the credit left does not cover.
  const creditWarning = el("p", { id: "credit-warning", className: "warn", "aria-live": "polite" });
  creditWarning.hidden = true;
  if (costOut) {
    costOut.after(creditWarning);
  }

  /** Say whether a send of ``total`` credits is over the credit last known. */
  function renderCredit(total) {
    const known = limits.knownCredit;
    const short = typeof known === "number" && total > known;
    creditWarning.hidden = !short;
    creditWarning.textContent = short
      ? gettext("Not enough credit: this send needs %(needed)s and %(credit)s are left "
        + "(%(shortfall)s short). It will not be sent unless the credit is topped up first.",
      { needed: formatNumber(total), credit: formatNumber(known),
        shortfall: formatNumber(total - known) })
      : "";
    if (costOut) {
      costOut.classList.toggle("over-credit", short);
    }
  }

  /** Switch SMS <-> LMS by length (a user's own choice stays) and show the bytes; the kind. */
  function renderLength(bytes) {
    if (smsType) {
      if (bytes > limits.smsLimit && !smsType.checked) {
        smsType.checked = true;
        smsType.dataset.auto = "1";
      } else if (bytes <= limits.smsLimit && smsType.checked && smsType.dataset.auto === "1") {
        smsType.checked = false;
        delete smsType.dataset.auto;
      }
    }
    const kind = rules.messageKind(bytes, smsType ? smsType.checked : false);
    const limit = kind === "L" ? limits.lmsLimit : limits.smsLimit;
    const over = bytes > limits.lmsLimit;
    if (meter) {
      meter.textContent = gettext("%(bytes)s / %(limit)s bytes",
        { bytes: formatNumber(bytes), limit: formatNumber(limit) });
      meter.dataset.bytes = String(bytes);
      meter.dataset.kind = kind;
      meter.classList.toggle("over", over);
    }
    lengthWarning.hidden = !over;
    lengthWarning.textContent = over
      ? gettext("Over %(limit)s bytes: this cannot be sent. Remove %(excess)s bytes.",
        { limit: formatNumber(limits.lmsLimit), excess: formatNumber(bytes - limits.lmsLimit) })
      : "";
    if (kindNotice) {
      const auto = Boolean(smsType && smsType.dataset.auto === "1");
      kindNotice.textContent = auto
        ? gettext("Over %(limit)s bytes: switched to LMS (long message, %(cost)s credits each).",
          { limit: formatNumber(limits.smsLimit), cost: formatNumber(limits.creditCost.L) })
        : "";
      kindNotice.classList.toggle("notice", auto);
    }
    if (subjectRow) {
      subjectRow.hidden = kind !== "L";
    }
    return kind;
  }

  /** Mark the characters EUC-KR cannot send and those the gateway refuses. */
  function renderUnsupported(text) {
    if (!unsupportedOut) {
      return;
    }
    const refused = rules.refusedIn(text);
    const others = euckr.unsupported(text).filter((ch) => !refused.includes(ch));
    unsupportedOut.replaceChildren();
    if (others.length) {
      unsupportedOut.append(appendWith(el("span", { className: "unsupported-chars" }), gettext(
        "These characters cannot be sent in EUC-KR: %(chars)s — phones would show them broken "
        + "or as ?. Remove or replace them."), { chars: marks(others) }));
    }
    if (refused.length) {
      if (others.length) {
        unsupportedOut.append(el("br"));
      }
      unsupportedOut.append(appendWith(el("span", { className: "refused-chars" }), gettext(
        "Refused by the gateway: %(chars)s — '됬' is refused (error -202); please write '됐' "
        + "instead."), { chars: marks(refused) }));
    }
    const controls = rules.messageControls(text);
    if (controls.length) {
      if (others.length || refused.length) {
        unsupportedOut.append(el("br"));
      }
      unsupportedOut.append(el("span", { className: "control-chars", text: ngettext(
        "Remove this control character, which no phone shows: %(chars)s",
        "Remove these control characters, which no phone shows: %(chars)s", controls.length,
        { chars: rules.codePoints(controls) }) }));
    }
    const bad = others.length > 0 || refused.length > 0 || controls.length > 0;
    unsupportedOut.classList.toggle("warn", bad);
    msg.classList.toggle("has-unsupported", bad);
  }

  /** What the send costs: recipients x credits per message x sends. */
  function renderCost(kind, count, times) {
    if (!costOut) {
      return;
    }
    if (testflag && testflag.checked) {
      costOut.textContent = gettext("Test send: no credits used");
      costOut.dataset.cost = "0";
      costOut.classList.add("is-test");
      renderCredit(0); // a test costs nothing, so it is never refused for credit
      return;
    }
    costOut.classList.remove("is-test");
    const per = limits.creditCost[kind];
    const total = per * count * times;
    const credits = (n) => ngettext("%(count)s credit", "%(count)s credits", n,
      { count: formatNumber(n) });
    const params = {
      recipients: ngettext("%(count)s recipient", "%(count)s recipients", count,
        { count: formatNumber(count) }),
      kind: kind === "L" ? "LMS" : "SMS",
      per: credits(per),
      times: formatNumber(times),
      total: credits(total),
    };
    costOut.textContent = times > 1
      ? gettext("%(recipients)s × %(kind)s %(per)s × %(times)s sends = %(total)s", params)
      : gettext("%(recipients)s × %(kind)s %(per)s = %(total)s", params);
    costOut.dataset.cost = String(total);
    renderCredit(total);
  }

  /** Show ``text`` (normalised) of ``bytes`` to ``count`` recipients, sent ``times``. */
  function render({ text, bytes, count, times }) {
    const kind = renderLength(bytes);
    renderUnsupported(text);
    renderCost(kind, count, times);
  }

  msg.addEventListener("input", onChange);
  if (smsType) {
    smsType.addEventListener("change", () => {
      delete smsType.dataset.auto; // the user's own choice from now on
      onChange();
    });
  }
  if (testflag) {
    testflag.addEventListener("change", onChange);
  }
  return Object.freeze({ msg, render });
}
