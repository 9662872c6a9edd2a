/* Names: the "number|name" list, the {name} merge preview (the longest merged message
 * decides kind and bytes, counted without merging every message, as the server does) and
 * the button that inserts the placeholder. */
import { appendWith, el, marks } from "../dom.js";
import { formatNumber, gettext, ngettext } from "../i18n.js";
import * as euckr from "../euckr.js";
import { appendCount } from "./recipients.js";

const PREVIEW_COUNT = 3; // merged messages shown; the longest is reported on its own line

/** Start the names part of ``form``; ``onChange`` runs after each edit. */
export function startNames(form, rules, { onChange, recipients, msg }) {
  const placeholder = rules.limits.namePlaceholder;
  const destination = form.querySelector("#destination");
  const insertName = form.querySelector("#insert-name");
  const preview = form.querySelector("#merge-preview");

  /** The bytes that decide the kind (the longest merge, or the message itself) and the
   * first few merged messages, for the preview. */
  function effective(text, list) {
    if (!recipients.usingNames() || !list.recipients.length) {
      return { length: euckr.length(text), merged: [] };
    }
    const merged = list.recipients.slice(0, PREVIEW_COUNT).map((r) => {
      const merge = rules.mergeName(text, r.name);
      return { recipient: r, text: merge, length: euckr.length(merge) };
    });
    return { length: rules.longestMergeLength(text, list.recipients), merged: merged };
  }

  /** The names' status, their unsendable characters and the first merged messages. */
  function render(text, list, eff) {
    if (!preview) {
      return;
    }
    preview.replaceChildren();
    if (!recipients.usingNames()) {
      delete preview.dataset.longest;
      if (text.includes(placeholder)) {
        preview.append(el("p", {
          className: "warn",
          text: gettext("To use %(placeholder)s, list recipients above as 'number|name', one per line.",
            { placeholder: placeholder }),
        }));
      }
      return;
    }
    const count = list.recipients.length;
    const status = el("p", { className: "status" });
    appendCount(status, ngettext("Names: %(count)s recipient", "Names: %(count)s recipients",
      count, { count: formatNumber(count) }), list);
    if (list.invalid.length) {
      const k = list.invalid.length;
      status.classList.add("warn");
      status.append(" · ");
      appendWith(status, ngettext("%(count)s invalid entry: %(entries)s",
        "%(count)s invalid entries: %(entries)s", k, { count: formatNumber(k) }),
      { entries: marks(list.invalid) });
    }
    if (list.nameFirst) {
      status.append(" · ");
      status.append(el("span", {
        className: "name-first",
        text: ngettext("%(count)s entry read as name, number", "%(count)s entries read as name, number",
          list.nameFirst, { count: formatNumber(list.nameFirst) }),
      }));
    }
    const tooLong = rules.tooLongNames(list.recipients);
    if (tooLong) {
      status.classList.add("warn");
      status.append(" · " + ngettext("%(count)s name is longer than %(limit)s characters",
        "%(count)s names are longer than %(limit)s characters", tooLong,
        { count: formatNumber(tooLong), limit: formatNumber(rules.limits.nameLimit) }));
    }
    preview.append(status);
    if (!count) {
      delete preview.dataset.longest;
      return;
    }
    if (!text.includes(placeholder)) {
      preview.append(el("p", {
        className: "help",
        text: gettext("The message has no %(placeholder)s, so everyone gets the same text.",
          { placeholder: placeholder }),
      }));
    }
    renderNameChars(list.recipients);
    const nameless = list.recipients.filter((r) => !r.name).length;
    if (text.includes(placeholder) && nameless) {
      preview.append(el("p", {
        className: "warn",
        text: ngettext("%(count)s recipient has no name.", "%(count)s recipients have no name.",
          nameless, { count: formatNumber(nameless) }),
      }));
    }
    const items = eff.merged.slice(0, PREVIEW_COUNT).map((m) => el("li", {}, [
      el("span", { className: "merge-to" }, [
        el("span", { className: "merge-phone", text: m.recipient.phone }),
        " ",
        el("span", { className: "merge-name", text: m.recipient.name || gettext("(no name)") }),
        " · ",
        el("span", {
          className: "merge-bytes",
          text: ngettext("%(count)s byte", "%(count)s bytes", m.length, { count: formatNumber(m.length) }),
        }),
      ]),
      el("span", { className: "merge-text", text: m.text }),
    ]));
    preview.append(el("p", {
      className: "merge-title",
      text: gettext("Preview (first %(count)s)", { count: formatNumber(items.length) }),
    }));
    preview.append(el("ol", { className: "merge-list" }, items));
    preview.dataset.longest = String(eff.length);
    preview.append(el("p", {
      id: "merge-longest",
      className: "merge-longest",
      text: ngettext("Longest message: %(count)s byte", "Longest message: %(count)s bytes", eff.length,
        { count: formatNumber(eff.length) }),
    }));
  }

  /** Mark the characters in the names that cannot be sent (every name is sent). */
  function renderNameChars(list) {
    const bad = rules.nameChars(list);
    const controls = rules.nameControls(list);
    if (!bad.unsupported.length && !bad.refused.length && !controls.length) {
      return;
    }
    const line = el("p", { className: "warn name-chars" });
    if (controls.length) {
      line.append(ngettext(
        "The names list has a control character, which no phone shows: %(chars)s",
        "The names list has control characters, which no phone shows: %(chars)s",
        controls.length, { chars: rules.codePoints(controls) }));
      if (bad.unsupported.length || bad.refused.length) {
        line.append(el("br"));
      }
    }
    if (bad.unsupported.length) {
      appendWith(line, gettext("The names list has characters that cannot be sent in EUC-KR: %(chars)s"),
        { chars: marks(bad.unsupported) });
    }
    if (bad.refused.length) {
      if (bad.unsupported.length) {
        line.append(el("br"));
      }
      appendWith(line, gettext(
        "The gateway refuses '됬' in the names list (error -202); please write '됐' instead: %(chars)s"),
      { chars: marks(bad.refused) });
    }
    preview.append(line);
  }

  /** Put the placeholder where the cursor is (or over the selection) in the message. */
  function insertPlaceholder() {
    const start = msg.selectionStart ?? msg.value.length;
    const end = msg.selectionEnd ?? start;
    msg.focus();
    msg.setRangeText(placeholder, start, end, "end");
    msg.dispatchEvent(new Event("input", { bubbles: true }));
  }

  if (destination) {
    destination.addEventListener("input", onChange);
  }
  if (insertName) {
    insertName.hidden = false;
    insertName.addEventListener("click", insertPlaceholder);
  }
  return Object.freeze({ effective, render });
}
