/* The send form's live helpers, started with the form and the server's rules.
 *
 * Progressive enhancement only: the server validates everything again. The rules object,
 * the translations and the URLs come from the #smsform-config JSON block, which the server
 * renders from its own constants (smsform/views/form_config.py); no limit is written here.
 */
import { setMessages } from "./i18n.js";
import { createRules } from "./rules.js";
import { startAdvertising } from "./form/advertising.js";
import { startMeter } from "./form/meter.js";
import { startNames } from "./form/names.js";
import { startRecipients } from "./form/recipients.js";
import { startSchedule } from "./form/schedule.js";
import { startSenders } from "./form/senders.js";
import { startSubmit } from "./form/submit.js";
import { startTemplates } from "./form/templates.js";
import { startContacts } from "./form/contacts.js";

/** Start every part of the send form, if this page has one. */
function start() {
  const form = document.getElementById("smsForm");
  const block = document.getElementById("smsform-config");
  if (!form || !block) {
    return;
  }
  const config = JSON.parse(block.textContent);
  setMessages(config.messages);
  // The credit last known (null: none), in a block of its own as it changes with each send.
  const credit = document.getElementById("smsform-credit");
  const rules = createRules({ ...config.rules,
    knownCredit: credit ? JSON.parse(credit.textContent) : null });

  let parts = null;
  /** Recount everything that depends on the message, the recipients or the repeats. */
  const update = () => {
    if (!parts) {
      return; // still starting
    }
    const { meter, recipients, names, schedule, book, advertising } = parts;
    const typed = rules.normalizeText(meter.msg.value); // as the server counts and sends it
    const text = advertising.apply(typed); // with the label and the opt-out line, if ticked
    advertising.render(text, typed);
    const list = recipients.current();
    const eff = names.effective(text, list);
    // Groups and contacts ticked from the address book count too (at most: a number typed
    // and in a group is sent once, which the server works out).
    const count = list.recipients.length + (book ? book.count() : 0);
    meter.render({ text, bytes: eff.length, count, times: schedule.repeatTimes() });
    recipients.render();
    names.render(text, list, eff);
  };

  const meter = startMeter(form, rules, { onChange: update });
  const recipients = startRecipients(form, rules, { onChange: update });
  const names = startNames(form, rules, { onChange: update, recipients, msg: meter.msg });
  const schedule = startSchedule(form, rules, { onChange: update });
  const advertising = startAdvertising(form, config.advertising, { onChange: update });
  const senders = startSenders(form, rules, { url: config.urls.senders });
  startSubmit(form, rules, { recipients, meter, schedule, senders });
  startTemplates(form, rules, { url: config.urls.templates, onChange: update });
  const book = startContacts(form, { url: config.urls.groups, onChange: update });
  parts = { meter, recipients, names, schedule, book, advertising };

  window.addEventListener("pageshow", update);
  update();
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
}

start(); // a module runs once the document is parsed
