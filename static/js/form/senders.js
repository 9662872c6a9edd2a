/* Sender numbers: the select filled from /calljson, and the hidden sphone1..3 the
 * sample's handler reads, kept in step with it. */
import { el } from "../dom.js";
import { gettext } from "../i18n.js";

/** Start the sender part of ``form``; ``url`` answers the registered numbers as JSON. */
export function startSenders(form, rules, { url }) {
  const sphone = form.querySelector("#sphone");
  const help = form.querySelector("#sphone-help");

  /** Split the chosen number into sphone1..3 as the sample's script does; keep them
   * when none is chosen unless ``clear``. */
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

  function warn(text) {
    if (help) {
      help.replaceChildren(el("span", { className: "warn", text: text }));
    }
  }

  /** Offer ``numbers``, keeping the current choice when it is still among them. */
  function rebuild(numbers) {
    const current = sphone.value;
    sphone.replaceChildren();
    if (numbers.length !== 1) {
      sphone.append(new Option(gettext("Choose"), ""));
    }
    for (const number of numbers) {
      sphone.append(new Option(number, number));
    }
    if (numbers.length === 1) {
      sphone.value = numbers[0];
    } else {
      sphone.value = numbers.includes(current) ? current : "";
    }
    sphone.dataset.loaded = "1";
    if (!numbers.length) {
      warn(gettext("No sender number is registered. Register one at Cafe24 first."));
    }
    fillSenderParts();
  }

  function load() {
    if (!sphone || !url || !window.fetch) {
      return;
    }
    const failed = (reason) => {
      sphone.dataset.loadError = "1";
      warn(gettext("Could not load sender numbers: %(reason)s", { reason: reason }));
    };
    fetch(url, {
      method: "GET",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((response) => response.json().catch(() => null).then((data) => ({ response, data })))
      .then(({ response, data }) => {
        if (data && data.result === "Success" && Array.isArray(data.list)) {
          rebuild(data.list.map(String));
        } else if (data && (data.message || data.result)) {
          failed(String(data.message || data.result));
        } else {
          failed(`HTTP ${response.status}`);
        }
      })
      .catch((error) => failed(String(error && error.message ? error.message : error)));
  }

  if (sphone) {
    sphone.addEventListener("change", () => fillSenderParts(true));
  }
  fillSenderParts();
  load();
  return Object.freeze({ sphone, fillSenderParts });
}
