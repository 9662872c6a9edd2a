/* Recipients: the numbers box and the names list (when it is filled in, the numbers join
 * it without a name) and the numbers' status line: how many, duplicates removed, invalid
 * numbers, over the limit. */
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

  /** True when the names list is filled in: then it is sent, the numbers added to it. */
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

  /** The recipients that would be sent to, parsed as the server parses them
   * (form_input: the names list, then the numbers not in it, without a name). */
  function current() {
    const typed = numbers(rphone ? rphone.value : "");
    return usingNames() ? joined(entries(destination.value), typed) : typed;
  }

  /** ``rules.addNumbers``, run again only when either list changed. */
  let lastJoin = null;
  function joined(names, typed) {
    if (!lastJoin || lastJoin.names !== names || lastJoin.typed !== typed) {
      lastJoin = { names, typed, ...rules.addNumbers(names, typed) };
    }
    return lastJoin.list;
  }

  /** How many numbers of the numbers box join the names list. */
  function added() {
    if (!usingNames()) {
      return 0;
    }
    current();
    return lastJoin.added;
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
    const joining = added();
    if (joining) {
      status.append(" · " + ngettext(
        "%(count)s number is added to the names list, without a name",
        "%(count)s numbers are added to the names list, without a name", joining,
        { count: formatNumber(joining) }));
    }
  }

  if (rphone) {
    rphone.addEventListener("input", onChange);
  }
  return Object.freeze({ rphone, destination, usingNames, current, added, render });
}
