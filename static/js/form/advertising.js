/* The advertising switch (광고성 메시지): while it is ticked, the text is the one the send
 * service will send (services/compliance.py, AdRules.build): the label and the sender's
 * name on the first line, the text without blank lines around it, the free opt-out line
 * last. The meter, the cost and the names preview count that text; it is shown as it
 * will arrive. A text that already starts with the label is sent as written (the server
 * checks it), and so is an empty one. What it writes comes from the config block. */

/** Start the switch of ``form`` with what it writes (``ad``: the config block's
 * ``advertising``); ``onChange`` runs when it is ticked or unticked. */
export function startAdvertising(form, ad, { onChange }) {
  const box = form.querySelector("#advertising");
  const row = form.querySelector("#advertising-preview-row");
  const preview = form.querySelector("#advertising-preview");

  /** The part of ``text`` (normalised) inside the blanks the server trims. */
  function trimmed(text) {
    let start = 0;
    let end = text.length;
    while (start < end && ad.blanks.includes(text[start])) {
      start += 1;
    }
    while (end > start && ad.blanks.includes(text[end - 1])) {
      end -= 1;
    }
    return text.slice(start, end);
  }

  /** True when the switch is ticked and the settings allow an advertisement. */
  function on() {
    return Boolean(box && box.checked) && ad.missing.length === 0;
  }

  /** The text that will be sent for ``text`` (normalised as the server counts it). */
  function apply(text) {
    const body = trimmed(text);
    if (!on() || !body || text.startsWith(ad.label)) {
      return text;
    }
    return `${ad.firstLine}\n${body}\n${ad.optoutLine}`;
  }

  /** Show the text as it will arrive, while the switch builds it. */
  function render(built, text) {
    if (!row || !preview) {
      return;
    }
    row.hidden = !on() || built === text;
    preview.textContent = row.hidden ? "" : built;
  }

  if (box) {
    box.addEventListener("change", onChange);
  }
  return Object.freeze({ apply, render });
}
