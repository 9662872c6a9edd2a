/* Sending: the quick checks a person can fix before the round trip (the server checks
 * everything again), and the guard that sends a form once however often it is clicked. */
import { describedBy, el } from "../dom.js";
import { gettext } from "../i18n.js";

/** Start the submit guard of ``form``, with the parts whose fields it checks. */
export function startSubmit(form, rules, { recipients, meter, schedule, senders }) {
  const { rphone, destination } = recipients;
  const { msg } = meter;
  const { sphone } = senders;
  const sendButton = form.querySelector("#send-button");
  const sendLabel = sendButton ? sendButton.textContent : "";
  let submitting = false;

  /** Show (or, with "", hide) a problem right after its control. */
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

  /** The problems a person can see without the server: [control, text] pairs. */
  function problems() {
    const found = [];
    const part1 = form.querySelector('input[name="sphone1"]');
    if (sphone && !sphone.value && !(part1 && part1.value)) {
      found.push([sphone, gettext("Choose a sender number.")]);
    }
    // Groups ticked from the address book (form/contacts.js) are recipients the server adds.
    const fromBook = form.querySelector('input[name="groups"]:checked, input[name="contacts"]:checked');
    if (fromBook) {
      // the typed boxes may be empty; the server judges the whole list
    } else if (recipients.usingNames()) {
      if (!rules.parseDestination(destination.value).recipients.length) {
        found.push([destination, gettext("The names list has no valid number.")]);
      }
    } else if (rphone && !rules.parseRecipients(rphone.value).recipients.length) {
      found.push([rphone, rphone.value.trim()
        ? gettext("There is no valid recipient number.")
        : gettext("Please enter at least one recipient number.")]);
    }
    if (!msg.value.trim()) {
      found.push([msg, gettext("Please enter a message.")]);
    }
    return found;
  }

  function onSubmit(event) {
    if (submitting) {
      event.preventDefault();
      return;
    }
    clearClientErrors();
    const found = problems();
    schedule.checkReservation();
    if (found.length) {
      event.preventDefault();
      for (const [control, text] of found) {
        clientError(control, text);
      }
      const first = found[0][0];
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
    senders.fillSenderParts();
    if (sendButton) {
      sendButton.disabled = true;
      sendButton.setAttribute("aria-busy", "true");
      sendButton.textContent = gettext("Sending…");
    }
  }

  /** Back from the answer page (bfcache): the form may be sent again on purpose. */
  function resetSubmit(event) {
    if (!event.persisted) {
      return;
    }
    submitting = false;
    if (sendButton) {
      sendButton.disabled = false;
      sendButton.removeAttribute("aria-busy");
      sendButton.textContent = sendLabel;
    }
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
  if (sphone) {
    sphone.addEventListener("change", () => clientError(sphone, ""));
  }
  form.addEventListener("submit", onSubmit);
  window.addEventListener("pageshow", resetSubmit);
}
