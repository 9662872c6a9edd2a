/* The send form's live helpers: byte meter, SMS/LMS switch, cost, recipients,
 * sender numbers, {name} preview, reservation and double-submit guard.
 *
 * Progressive enhancement only: the server validates everything again.
 * The rules themselves are in rules.js (window.SmsRules).
 */
(function () {
  "use strict";

  const {
    NAME_PLACEHOLDER, REFUSED_CHARS, mergeName, messageKind, nameChars, normalizeText,
    parseDestination, parseRecipients,
  } = window.SmsRules;

  // --- the page ---------------------------------------------------------------

  const KST_OFFSET_MS = 9 * 60 * 60 * 1000;
  const RESERVATION_LEAD_MS = 10 * 60 * 1000;
  const RESERVATION_HORIZON_DAYS = 365; // message.RESERVATION_HORIZON
  const RESERVATION_HORIZON_MS = RESERVATION_HORIZON_DAYS * 24 * 60 * 60 * 1000;

  function number(n) {
    return Number(n).toLocaleString("en-US");
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") {
        node.textContent = value;
      } else if (key === "className") {
        node.className = value;
      } else {
        node.setAttribute(key, value);
      }
    }
    for (const child of children || []) {
      node.append(child);
    }
    return node;
  }

  /** Add an id to an element's aria-describedby list once. */
  function describedBy(control, id) {
    const ids = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (!ids.includes(id)) {
      ids.push(id);
      control.setAttribute("aria-describedby", ids.join(" "));
    }
  }

  function init() {
    const form = document.getElementById("smsForm");
    if (!form) {
      return;
    }
    const EUCKR = window.EUCKR;
    const en = form.dataset.lang === "en";
    const t = (ko, english) => (en ? english : ko);
    const int = (value, fallback) => {
      const n = parseInt(value, 10);
      return Number.isFinite(n) ? n : fallback;
    };
    const limits = {
      sms: int(form.dataset.smsLimit, 90),
      lms: int(form.dataset.lmsLimit, 2000),
      subject: int(form.dataset.subjectLimit, 50),
      costS: int(form.dataset.costS, 1),
      costL: int(form.dataset.costL, 3),
      maxRecipients: int(form.dataset.maxRecipients, 999),
    };

    const $ = (id) => document.getElementById(id);
    const msg = $("msg");
    const meter = $("meter");
    const kindNotice = $("kind-notice");
    const smsType = $("smsType");
    const subjectRow = $("subject-row");
    const costOut = $("cost");
    const unsupportedOut = $("unsupported");
    const rphone = $("rphone");
    const rphoneStatus = $("rphone-status");
    const destination = $("destination");
    const names = $("names");
    const insertName = $("insert-name");
    const mergePreview = $("merge-preview");
    const sphone = $("sphone");
    const sphoneHelp = $("sphone-help");
    const rdate = $("rdate");
    const rtime = $("rtime");
    const repeatFlag = $("repeatFlag");
    const repeatRow = $("repeat-row");
    const repeatNum = $("repeatNum");
    const testflag = $("testflag");
    const sendButton = $("send-button");

    // A warning line under the meter for messages over the LMS limit.
    const lengthWarning = el("p", { id: "length-warning", className: "warn", "aria-live": "polite" });
    lengthWarning.hidden = true;
    if (meter) {
      const row = meter.closest(".meter-row") || meter;
      row.after(lengthWarning);
    }

    // --- recipients -----------------------------------------------------------

    function usingNames() {
      return Boolean(destination && destination.value.trim());
    }

    function currentRecipients() {
      return usingNames() ? parseDestination(destination.value) : parseRecipients(rphone ? rphone.value : "");
    }

    /** Append "label: <mark>a</mark>, <mark>b</mark>" to a node. */
    function appendMarked(node, label, items) {
      node.append(label);
      items.forEach((item, index) => {
        if (index) {
          node.append(", ");
        }
        node.append(el("mark", { text: item }));
      });
    }

    function renderRphoneStatus() {
      if (!rphoneStatus || !rphone) {
        return;
      }
      const list = parseRecipients(rphone.value);
      const count = list.recipients.length;
      rphoneStatus.dataset.count = String(count);
      rphoneStatus.dataset.duplicates = String(list.duplicates.length);
      rphoneStatus.dataset.invalid = String(list.invalid.length);
      rphoneStatus.replaceChildren();
      rphoneStatus.classList.toggle("warn", list.invalid.length > 0 || count > limits.maxRecipients);
      if (!rphone.value.trim()) {
        return;
      }
      rphoneStatus.append(en ? `${number(count)} recipient${count === 1 ? "" : "s"}` : `${number(count)}명`);
      if (list.duplicates.length) {
        const d = list.duplicates.length;
        rphoneStatus.append(" · " + t(`중복 ${number(d)}개 제거`, `${number(d)} duplicate${d === 1 ? "" : "s"} removed`));
      }
      if (list.invalid.length) {
        const k = list.invalid.length;
        rphoneStatus.append(" · ");
        appendMarked(rphoneStatus,
          t(`잘못된 번호 ${number(k)}개: `, `${number(k)} invalid number${k === 1 ? "" : "s"}: `),
          list.invalid);
      }
      if (count > limits.maxRecipients) {
        rphoneStatus.append(" · " + t(`한 번에 최대 ${number(limits.maxRecipients)}명`,
          `at most ${number(limits.maxRecipients)} per send`));
      }
      if (usingNames()) {
        rphoneStatus.append(" · " + t("이름 목록이 있어 이 칸은 쓰이지 않습니다",
          "ignored: the names list is used"));
      }
    }

    // --- message, kind, cost -------------------------------------------------

    /** The text that decides kind and bytes: the longest {name} merge, or the message. */
    function effective(text, list) {
      if (!usingNames() || !list.recipients.length) {
        return { text: text, length: EUCKR.length(text), merged: [] };
      }
      const merged = list.recipients.map((r) => {
        const merge = mergeName(text, r.name);
        return { recipient: r, text: merge, length: EUCKR.length(merge) };
      });
      let longest = merged[0];
      for (const m of merged) {
        if (m.length > longest.length) {
          longest = m;
        }
      }
      return { text: longest.text, length: longest.length, merged: merged };
    }

    function renderUnsupported(text) {
      if (!unsupportedOut) {
        return;
      }
      const chars = EUCKR.unsupported(text);
      const refused = REFUSED_CHARS.filter((ch) => text.includes(ch));
      const others = chars.filter((ch) => !refused.includes(ch));
      unsupportedOut.replaceChildren();
      if (others.length) {
        const line = el("span", { className: "unsupported-chars" });
        appendMarked(line, t("EUC-KR로 보낼 수 없는 문자가 있습니다: ", "These characters cannot be sent in EUC-KR: "), others);
        line.append(t(
          " — 휴대폰에서 깨지거나 ?로 보입니다. 빼거나 다른 글자로 바꿔 주세요.",
          " — phones would show them broken or as ?. Remove or replace them."));
        unsupportedOut.append(line);
      }
      if (refused.length) {
        if (others.length) {
          unsupportedOut.append(el("br"));
        }
        const line = el("span", { className: "refused-chars" });
        appendMarked(line, t("게이트웨이가 거부하는 글자: ", "Refused by the gateway: "), refused);
        line.append(t(
          " — '됬'은 보낼 수 없습니다(오류 -202). '됐'으로 고쳐 주세요.",
          " — '됬' is refused (error -202); please write '됐' instead."));
        unsupportedOut.append(line);
      }
      const bad = others.length > 0 || refused.length > 0;
      unsupportedOut.classList.toggle("warn", bad);
      msg.classList.toggle("has-unsupported", bad);
    }

    function renderMergePreview(text, list, eff) {
      if (!mergePreview) {
        return;
      }
      mergePreview.replaceChildren();
      if (!usingNames()) {
        delete mergePreview.dataset.longest;
        if (text.includes(NAME_PLACEHOLDER)) {
          mergePreview.append(el("p", {
            className: "warn",
            text: t("{name}을 쓰려면 위 이름 목록에 '번호|이름'을 한 줄에 하나씩 입력하세요.",
              "To use {name}, list recipients above as 'number|name', one per line."),
          }));
        }
        return;
      }
      const status = el("p", { className: "status" });
      const count = list.recipients.length;
      status.append(en ? `Names: ${number(count)} recipient${count === 1 ? "" : "s"}` : `이름 목록 ${number(count)}명`);
      if (list.duplicates.length) {
        status.append(" · " + t(`중복 ${number(list.duplicates.length)}개 제거`,
          `${number(list.duplicates.length)} duplicate(s) removed`));
      }
      if (list.invalid.length) {
        status.classList.add("warn");
        status.append(" · ");
        appendMarked(status, t(`잘못된 항목 ${number(list.invalid.length)}개: `,
          `${number(list.invalid.length)} invalid entr${list.invalid.length === 1 ? "y" : "ies"}: `), list.invalid);
      }
      mergePreview.append(status);
      if (!count) {
        delete mergePreview.dataset.longest;
        return;
      }
      if (!text.includes(NAME_PLACEHOLDER)) {
        mergePreview.append(el("p", {
          className: "help",
          text: t("메시지에 {name}이 없어 모두 같은 내용을 받습니다.",
            "The message has no {name}, so everyone gets the same text."),
        }));
      }
      const bad = nameChars(list.recipients);
      if (bad.unsupported.length || bad.refused.length) {
        const line = el("p", { className: "warn name-chars" });
        if (bad.unsupported.length) {
          appendMarked(line, t("이름 목록에 EUC-KR로 보낼 수 없는 문자가 있습니다: ",
            "The names list has characters that cannot be sent in EUC-KR: "), bad.unsupported);
        }
        if (bad.refused.length) {
          if (bad.unsupported.length) {
            line.append(el("br"));
          }
          appendMarked(line, t("이름 목록의 '됬'은 보낼 수 없습니다(오류 -202). '됐'으로 고쳐 주세요: ",
            "The gateway refuses '됬' in the names list (error -202); please write '됐' instead: "), bad.refused);
        }
        mergePreview.append(line);
      }
      const nameless = list.recipients.filter((r) => !r.name).length;
      if (text.includes(NAME_PLACEHOLDER) && nameless) {
        mergePreview.append(el("p", {
          className: "warn",
          text: t(`이름이 없는 받는 사람이 ${number(nameless)}명 있습니다.`,
            `${number(nameless)} recipient(s) have no name.`),
        }));
      }
      const items = eff.merged.slice(0, 3).map((m) => el("li", {}, [
        el("span", { className: "merge-to" }, [
          el("span", { className: "merge-phone", text: m.recipient.phone }),
          " ",
          el("span", { className: "merge-name", text: m.recipient.name || t("(이름 없음)", "(no name)") }),
          " · ",
          el("span", { className: "merge-bytes", text: en ? `${number(m.length)} bytes` : `${number(m.length)}바이트` }),
        ]),
        el("span", { className: "merge-text", text: m.text }),
      ]));
      mergePreview.append(el("p", {
        className: "merge-title",
        text: t(`미리보기 (처음 ${items.length}명)`, `Preview (first ${items.length})`),
      }));
      mergePreview.append(el("ol", { className: "merge-list" }, items));
      mergePreview.dataset.longest = String(eff.length);
      mergePreview.append(el("p", {
        id: "merge-longest",
        className: "merge-longest",
        text: en ? `Longest message: ${number(eff.length)} bytes` : `가장 긴 메시지: ${number(eff.length)}바이트`,
      }));
    }

    function repeatTimes() {
      if (!repeatFlag || !repeatFlag.checked || !repeatNum) {
        return 1;
      }
      const n = int(repeatNum.value, 1);
      return n >= 1 && n <= 10 ? n : 1;
    }

    function renderCost(kind, count) {
      if (!costOut) {
        return;
      }
      if (testflag && testflag.checked) {
        costOut.textContent = t("테스트 발송: 차감 없음", "Test send: no credits used");
        costOut.dataset.cost = "0";
        costOut.classList.add("is-test");
        return;
      }
      costOut.classList.remove("is-test");
      const per = kind === "L" ? limits.costL : limits.costS;
      const times = repeatTimes();
      const total = per * count * times;
      const label = kind === "L" ? "LMS" : "SMS";
      let text;
      if (en) {
        text = `${number(count)} recipient${count === 1 ? "" : "s"} × ${label} ${per} credit${per === 1 ? "" : "s"}`
          + (times > 1 ? ` × ${times} sends` : "")
          + ` = ${number(total)} credit${total === 1 ? "" : "s"}`;
      } else {
        text = `수신자 ${number(count)}명 × ${label} ${per}건` + (times > 1 ? ` × ${times}회` : "")
          + ` = ${number(total)}건 차감`;
      }
      costOut.textContent = text;
      costOut.dataset.cost = String(total);
    }

    function update() {
      const text = normalizeText(msg.value); // as the server counts and sends it
      const list = currentRecipients();
      const eff = effective(text, list);
      const bytes = eff.length;

      // Automatic SMS -> LMS, undone when the text is short again; a user's own choice stays.
      if (smsType) {
        if (bytes > limits.sms && !smsType.checked) {
          smsType.checked = true;
          smsType.dataset.auto = "1";
        } else if (bytes <= limits.sms && smsType.checked && smsType.dataset.auto === "1") {
          smsType.checked = false;
          delete smsType.dataset.auto;
        }
      }
      const lms = smsType ? smsType.checked : false;
      const kind = messageKind(bytes, lms, limits.sms);
      const limit = kind === "L" ? limits.lms : limits.sms;

      if (meter) {
        meter.textContent = en ? `${number(bytes)} / ${number(limit)} bytes` : `${number(bytes)} / ${number(limit)}바이트`;
        meter.dataset.bytes = String(bytes);
        meter.dataset.kind = kind;
        meter.classList.toggle("over", bytes > limits.lms);
      }
      lengthWarning.hidden = bytes <= limits.lms;
      lengthWarning.textContent = bytes > limits.lms
        ? t(`${number(limits.lms)}바이트를 넘어서 보낼 수 없습니다. ${number(bytes - limits.lms)}바이트를 줄여 주세요.`,
          `Over ${number(limits.lms)} bytes: this cannot be sent. Remove ${number(bytes - limits.lms)} bytes.`)
        : "";

      if (kindNotice) {
        const auto = smsType && smsType.dataset.auto === "1";
        kindNotice.textContent = auto
          ? t(`${limits.sms}바이트를 넘어 LMS(장문)로 바뀌었습니다 (1건당 ${limits.costL}건 차감).`,
            `Over ${limits.sms} bytes: switched to LMS (long message, ${limits.costL} credits each).`)
          : "";
        kindNotice.classList.toggle("notice", Boolean(auto));
      }
      if (subjectRow) {
        subjectRow.hidden = kind !== "L";
      }

      renderUnsupported(text); // names are checked in the merge preview (destination)
      renderRphoneStatus();
      renderMergePreview(text, list, eff);
      renderCost(kind, list.recipients.length);
    }

    // --- sender numbers -------------------------------------------------------

    /** Split the chosen number into sphone1..3 as the sample's JS does; keep them when none is chosen unless asked. */
    function fillSenderParts(clear) {
      if (!sphone || (!sphone.value && !clear)) {
        return;
      }
      const parts = sphone.value ? sphone.value.split("-") : [];
      [1, 2, 3].forEach((i) => {
        const input = form.querySelector(`input[name="sphone${i}"]`);
        if (input) {
          input.value = parts[i - 1] || "";
        }
      });
    }

    function senderHelp(text) {
      if (!sphoneHelp) {
        return;
      }
      sphoneHelp.replaceChildren(el("span", { className: "warn", text: text }));
    }

    function rebuildSenders(list) {
      const current = sphone.value;
      sphone.replaceChildren();
      if (list.length !== 1) {
        sphone.append(new Option(t("선택하세요", "Choose"), ""));
      }
      for (const numberText of list) {
        sphone.append(new Option(numberText, numberText));
      }
      if (list.length === 1) {
        sphone.value = list[0];
      } else {
        sphone.value = list.includes(current) ? current : "";
      }
      sphone.dataset.loaded = "1";
      if (!list.length) {
        senderHelp(t("등록된 발신번호가 없습니다. 카페24에서 발신번호를 먼저 등록하세요.",
          "No sender number is registered. Register one at Cafe24 first."));
      }
      fillSenderParts();
    }

    function loadSenders() {
      const url = form.dataset.sendersUrl;
      if (!sphone || !url || !window.fetch) {
        return;
      }
      const failed = (detail) => {
        sphone.dataset.loadError = "1";
        senderHelp(t("발신번호를 불러오지 못했습니다: ", "Could not load sender numbers: ") + detail);
      };
      fetch(url, {
        method: "GET",
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then((response) => response.json().catch(() => null).then((data) => ({ response, data })))
        .then(({ response, data }) => {
          if (data && data.result === "Success" && Array.isArray(data.list)) {
            rebuildSenders(data.list.map(String));
          } else if (data && (data.message || data.result)) {
            failed(String(data.message || data.result));
          } else {
            failed(`HTTP ${response.status}`);
          }
        })
        .catch((error) => failed(String(error && error.message ? error.message : error)));
    }

    // --- names ---------------------------------------------------------------

    function insertPlaceholder() {
      const start = msg.selectionStart ?? msg.value.length;
      const end = msg.selectionEnd ?? start;
      msg.focus();
      msg.setRangeText(NAME_PLACEHOLDER, start, end, "end");
      msg.dispatchEvent(new Event("input", { bubbles: true }));
    }

    // --- reservation ----------------------------------------------------------

    const reserveWarning = el("p", { id: "reserve-warning", className: "field-errors", "aria-live": "polite" });
    reserveWarning.hidden = true;
    const reserveHelp = $("reserve-help");
    if (reserveHelp) {
      reserveHelp.after(reserveWarning);
    }
    if (rdate) {
      describedBy(rdate, "reserve-warning");
    }
    if (rtime) {
      describedBy(rtime, "reserve-warning");
    }

    /** Today's date in Korea as YYYY-MM-DD. */
    function kstToday() {
      return new Date(Date.now() + KST_OFFSET_MS).toISOString().slice(0, 10);
    }

    /** The chosen reservation as epoch milliseconds, or null when incomplete or malformed. */
    function reservationTime() {
      const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(rdate ? rdate.value : "");
      const tm = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(rtime ? rtime.value : "");
      if (!d || !tm) {
        return null;
      }
      return Date.UTC(+d[1], +d[2] - 1, +d[3], +tm[1], +tm[2], +(tm[3] || 0)) - KST_OFFSET_MS;
    }

    function checkReservation() {
      if (rdate) {
        rdate.min = kstToday();
      }
      const when = reservationTime();
      const now = Date.now();
      const tooSoon = when !== null && when < now + RESERVATION_LEAD_MS;
      const tooFar = when !== null && when > now + RESERVATION_HORIZON_MS;
      if (tooSoon) {
        reserveWarning.textContent = t("예약 시간은 지금(한국 시간)부터 10분 이후여야 합니다. 이대로 보내면 거절됩니다.",
          "The reservation must be at least 10 minutes from now (Korean time); it would be refused.");
      } else if (tooFar) {
        reserveWarning.textContent = t(
          `예약은 지금부터 ${RESERVATION_HORIZON_DAYS}일 이내로만 할 수 있습니다. 이대로 보내면 거절됩니다.`,
          `The reservation must be at most ${RESERVATION_HORIZON_DAYS} days from now; it would be refused.`);
      } else {
        reserveWarning.textContent = "";
      }
      reserveWarning.dataset.problem = tooSoon ? "too-soon" : tooFar ? "too-far" : "";
      reserveWarning.hidden = !tooSoon && !tooFar;
      return !tooSoon && !tooFar;
    }

    // --- repeat ---------------------------------------------------------------

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

    // --- submit -----------------------------------------------------------------

    const sendLabel = sendButton ? sendButton.textContent : "";
    let submitting = false;

    function clientError(control, text) {
      const id = `${control.id}-client-error`;
      let node = document.getElementById(id);
      if (!node) {
        node = el("p", { id: id, className: "field-errors client-error", role: "alert" });
        control.after(node);
        describedBy(control, id);
      }
      node.textContent = text;
      node.hidden = !text;
    }

    function clearClientErrors() {
      form.querySelectorAll(".client-error").forEach((node) => {
        node.textContent = "";
        node.hidden = true;
      });
    }

    function onSubmit(event) {
      if (submitting) {
        event.preventDefault();
        return;
      }
      clearClientErrors();
      const problems = [];
      const part1 = form.querySelector('input[name="sphone1"]');
      if (sphone && !sphone.value && !(part1 && part1.value)) {
        problems.push([sphone, t("보내는 번호를 선택하세요.", "Choose a sender number.")]);
      }
      if (usingNames()) {
        if (!parseDestination(destination.value).recipients.length) {
          problems.push([destination, t("이름 목록에 올바른 번호가 없습니다.", "The names list has no valid number.")]);
        }
      } else if (rphone && !parseRecipients(rphone.value).recipients.length) {
        problems.push([rphone, rphone.value.trim()
          ? t("올바른 받는 번호가 없습니다.", "There is no valid recipient number.")
          : t("받는 번호를 입력해 주세요.", "Please enter at least one recipient number.")]);
      }
      if (!msg.value.trim()) {
        problems.push([msg, t("메시지를 입력해 주세요.", "Please enter a message.")]);
      }
      checkReservation();
      if (problems.length) {
        event.preventDefault();
        for (const [control, text] of problems) {
          clientError(control, text);
        }
        const first = problems[0][0];
        const details = first.closest("details");
        if (details) {
          details.open = true;
        }
        first.focus();
        return;
      }
      if (event.defaultPrevented) {
        return;
      }
      submitting = true;
      fillSenderParts();
      if (sendButton) {
        sendButton.disabled = true;
        sendButton.setAttribute("aria-busy", "true");
        sendButton.textContent = t("보내는 중…", "Sending…");
      }
    }

    function resetSubmit() {
      submitting = false;
      if (sendButton) {
        sendButton.disabled = false;
        sendButton.removeAttribute("aria-busy");
        sendButton.textContent = sendLabel;
      }
    }

    // --- wiring -----------------------------------------------------------------

    msg.addEventListener("input", update);
    for (const field of [rphone, destination]) {
      if (field) {
        field.addEventListener("input", update);
      }
    }
    if (smsType) {
      smsType.addEventListener("change", () => {
        delete smsType.dataset.auto; // the user's own choice from now on
        update();
      });
    }
    for (const control of [testflag, repeatNum]) {
      if (control) {
        control.addEventListener("change", update);
      }
    }
    if (repeatFlag) {
      repeatFlag.addEventListener("change", () => {
        syncRepeat();
        update();
      });
    }
    if (sphone) {
      sphone.addEventListener("change", () => {
        fillSenderParts(true);
        clientError(sphone, "");
      });
    }
    // Typing in a field clears its client-side error; either recipient box clears both.
    for (const [control, targets] of [[rphone, ["rphone", "destination"]],
      [destination, ["rphone", "destination"]], [msg, ["msg"]]]) {
      if (control) {
        control.addEventListener("input", () => {
          for (const id of targets) {
            const node = document.getElementById(`${id}-client-error`);
            if (node) {
              node.hidden = true;
            }
          }
        });
      }
    }
    if (insertName) {
      insertName.hidden = false;
      insertName.addEventListener("click", insertPlaceholder);
    }
    for (const control of [rdate, rtime]) {
      if (control) {
        control.addEventListener("change", checkReservation);
        control.addEventListener("input", checkReservation);
      }
    }
    form.addEventListener("submit", onSubmit);
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) {
        resetSubmit();
      }
      syncRepeat();
      update();
    });

    syncRepeat();
    update();
    checkReservation();
    fillSenderParts();
    loadSenders();

    const summary = $("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
