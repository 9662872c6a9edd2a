/* Recipients: the numbers box (or the names list, when it is filled in) and the numbers'
 * status line: how many, duplicates removed, invalid numbers, over the limit. */
import { appendWith, marks } from "../dom.js";
import { formatNumber, gettext, ngettext } from "../i18n.js";

/** Append "N recipients · M duplicates removed" (``headline`` names the count) to ``node``. */
export function appendCount(node, headline, list) {
  node.append(headline);
  const d = list.duplicates.length;
  if (d) {
    node.append(" · " + ngettext("%(count)s duplicate removed", "%(count)s duplicates removed", d,
      { count: formatNumber(d) }));
  }
}

/** Start the recipients part of ``form``; ``onChange`` runs after each edit. */
export function startRecipients(form, rules, { onChange }) {
  const rphone = form.querySelector("#rphone");
  const status = form.querySelector("#rphone-status");
  const destination = form.querySelector("#destination");
  const max = rules.limits.maxRecipients;

  /** True when the names list is filled in: then it, not the numbers box, is sent. */
  function usingNames() {
    return Boolean(destination && destination.value.trim());
  }

  /** ``parse``, run again only when the text changed (every keystroke of the message
   * recounts the form; a list of a thousand numbers is not read again for it). */
  function remembered(parse) {
    let last = null;
    let list = null;
    return (text) => {
      if (text !== last) {
        list = parse(text);
        last = text;
      }
      return list;
    };
  }
  const numbers = remembered(rules.parseRecipients);
  const entries = remembered(rules.parseDestination);

  /** The recipients that would be sent to, parsed as the server parses them. */
  function current() {
    return usingNames() ? entries(destination.value) : numbers(rphone ? rphone.value : "");
  }

  /** The status line under the numbers box. */
  function render() {
    if (!status || !rphone) {
      return;
    }
    const list = numbers(rphone.value);
    const count = list.recipients.length;
    status.dataset.count = String(count);
    status.dataset.duplicates = String(list.duplicates.length);
    status.dataset.invalid = String(list.invalid.length);
    status.replaceChildren();
    status.classList.toggle("warn", list.invalid.length > 0 || count > max);
    if (!rphone.value.trim()) {
      return;
    }
    appendCount(status, ngettext("%(count)s recipient", "%(count)s recipients", count,
      { count: formatNumber(count) }), list);
    if (list.invalid.length) {
      const k = list.invalid.length;
      status.append(" · ");
      appendWith(status, ngettext("%(count)s invalid number: %(numbers)s",
        "%(count)s invalid numbers: %(numbers)s", k, { count: formatNumber(k) }),
      { numbers: marks(list.invalid) });
    }
    if (count > max) {
      status.append(" · " + gettext("at most %(max)s per send", { max: formatNumber(max) }));
    }
    if (usingNames()) {
      status.append(" · " + gettext("ignored: the names list is used"));
    }
  }

  if (rphone) {
    rphone.addEventListener("input", onChange);
  }
  return Object.freeze({ rphone, destination, usingNames, current, render });
}
