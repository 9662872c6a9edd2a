/* Templates: the chooser that fills the text, subject, kind (the LMS switch) and the
 * advertising switch with one of the team's saved texts. The list (config.urls.templates)
 * is asked for once, when the chooser is first opened, so a plain open of the form costs
 * nothing more; without JavaScript the chooser is a link to the templates page, whose
 * "Use on the form" opens the form filled in by the server (?template=ID). */
import { el } from "../dom.js";
import { gettext } from "../i18n.js";

/** Start the template chooser of ``form``; ``onChange`` runs after a template fills it. */
export function startTemplates(form, rules, { url, onChange }) {
  const chooser = form.querySelector("#template-chooser");
  if (!chooser || !url) {
    return null;
  }
  const picker = chooser.querySelector("#template-picker");
  const select = chooser.querySelector("#template-select");
  const use = chooser.querySelector("#use-template");
  const preview = chooser.querySelector("#template-preview");
  const status = chooser.querySelector("#template-status");
  const msg = form.querySelector("#msg");
  const subject = form.querySelector("#subject");
  const smsType = form.querySelector("#smsType");
  const byId = new Map();
  let loading = null;
  let filled = null; // the text this chooser last put in, as the server counts it

  /** Ask for the list once (again after a failure). */
  function load() {
    if (loading) {
      return loading;
    }
    status.textContent = gettext("Loading the templates…");
    loading = fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((answer) => {
        if (!answer.ok) {
          throw new Error(String(answer.status));
        }
        return answer.json();
      })
      .then((body) => show(body.templates || []))
      .catch(() => {
        loading = null;
        status.textContent = gettext("Could not load the templates: choose one on the templates page instead.");
      });
    return loading;
  }

  /** Put the templates in the select (a marker on advertising ones). */
  function show(list) {
    byId.clear();
    select.replaceChildren();
    for (const template of list) {
      byId.set(String(template.id), template);
      const label = template.advertising
        ? gettext("%(name)s (advertising)", { name: template.name }) : template.name;
      select.append(el("option", { value: String(template.id), text: label }));
    }
    picker.hidden = !list.length;
    status.textContent = list.length ? "" : gettext("No template yet.");
    renderPreview();
  }

  function chosen() {
    return byId.get(select.value) || null;
  }

  /** The chosen template's subject and text, as it will fill the form. */
  function renderPreview() {
    const template = chosen();
    preview.textContent = template
      ? (template.subject ? `[${template.subject}] ` : "") + template.text : "";
  }

  /** Fill the form with the chosen template; a text the person typed is kept unless they
   * agree to replace it. */
  function fill() {
    const template = chosen();
    if (!template) {
      return;
    }
    const typed = rules.normalizeText(msg.value).trim();
    const text = rules.normalizeText(template.text).trim();
    if (typed && typed !== filled && typed !== text
        && !window.confirm(gettext("Replace the text you typed with the template %(name)s?",
          { name: template.name }))) {
      return;
    }
    msg.value = template.text;
    if (subject) {
      subject.value = template.subject;
    }
    if (smsType) {
      smsType.checked = template.lms;
      smsType.dispatchEvent(new Event("change", { bubbles: true })); // a choice, kept as made
    }
    const advertising = form.elements.namedItem("advertising");
    if (advertising && advertising.type === "checkbox") {
      advertising.checked = template.advertising;
      advertising.dispatchEvent(new Event("change", { bubbles: true }));
    }
    filled = text;
    const names = form.querySelector("#names");
    if (names && template.fields.includes(rules.limits.namePlaceholder)) {
      names.open = true; // {name} needs the names list
    }
    msg.dispatchEvent(new Event("input", { bubbles: true }));
    status.textContent = gettext("Filled in from the template %(name)s.", { name: template.name });
    onChange();
    msg.focus();
  }

  chooser.addEventListener("toggle", () => {
    if (chooser.open) {
      load();
    }
  });
  select.addEventListener("change", renderPreview);
  use.addEventListener("click", fill);
  if (chooser.open) {
    load();
  }
  return Object.freeze({ load });
}
