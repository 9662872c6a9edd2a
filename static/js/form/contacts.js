/* Recipients from the address book: the group chooser. The list (config.urls.groups) is
 * asked for once, when the chooser is first opened, so a plain open of the form costs
 * nothing more; each group is a checkbox named "groups", posted with the form, and the
 * send service adds its members to the numbers typed (each once, with their names). A
 * group ticked by the server (?group=ID, or a form shown again) keeps its box. Without
 * JavaScript the chooser shows those boxes and a link to the groups page. */
import { el } from "../dom.js";
import { formatNumber, gettext, ngettext } from "../i18n.js";

/** Start the group chooser of ``form``. */
export function startContacts(form, { url }) {
  const chooser = form.querySelector("#group-chooser");
  if (!chooser || !url) {
    return null;
  }
  const picker = chooser.querySelector("#group-picker");
  const status = chooser.querySelector("#group-status");
  let loading = null;

  /** The boxes ticked, and how many contacts they hold together (at most: a contact in
   * two groups is sent once). */
  function summarise() {
    const ticked = [...picker.querySelectorAll("input[name=groups]:checked")];
    const count = ticked.reduce((sum, box) => sum + Number(box.dataset.count || 0), 0);
    status.textContent = ticked.length
      ? ngettext("%(num)s group chosen: up to %(count)s recipients are added.",
        "%(num)s groups chosen: up to %(count)s recipients are added.", ticked.length,
        { count: formatNumber(count) })
      : "";
  }

  /** One checkbox per group not already shown. */
  function show(groups) {
    const shown = new Set([...picker.querySelectorAll("input[name=groups]")].map((b) => b.value));
    for (const group of groups) {
      const id = String(group.id);
      if (shown.has(id)) {
        continue;
      }
      const size = ngettext("%(num)s contact", "%(num)s contacts", group.count,
        { num: formatNumber(group.count) });
      const box = el("input", { type: "checkbox", name: "groups", value: id,
        "data-count": String(group.count), id: `group-${id}` });
      const label = el("label", { className: "check", for: `group-${id}` }, [
        box, ` ${group.name} `,
        el("small", { text: "(" + size + ")" }),
      ]);
      picker.append(label);
    }
    if (!groups.length) {
      status.textContent = gettext("No group yet: make one on the groups page.");
    } else {
      summarise();
    }
  }

  /** Ask for the groups once (again after a failure). */
  function load() {
    if (loading) {
      return loading;
    }
    status.textContent = gettext("Loading the groups…");
    loading = fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((answer) => {
        if (!answer.ok) {
          throw new Error(String(answer.status));
        }
        return answer.json();
      })
      .then((body) => show(body.groups || []))
      .catch(() => {
        loading = null;
        status.textContent = gettext("Could not load the groups: try again, or send from the groups page.");
      });
    return loading;
  }

  chooser.addEventListener("toggle", () => {
    if (chooser.open) {
      load();
    }
  });
  picker.addEventListener("change", summarise);
  if (chooser.open) {
    load();
  }
  summarise();
  return { load };
}
