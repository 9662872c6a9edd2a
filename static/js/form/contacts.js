/* Recipients from the address book: the group chooser. The list (config.urls.groups) is
 * asked for once, when the chooser is first opened, so a plain open of the form costs
 * nothing more; each group is a checkbox named "groups", posted with the form, and the
 * send service adds its members to the numbers typed (each once, with their names). A
 * group ticked by the server (?group=ID, or a form shown again) keeps its box. Without
 * JavaScript the chooser shows those boxes and a link to the groups page. */
import { el } from "../dom.js";
import { formatNumber, gettext, ngettext } from "../i18n.js";

/** Start the group chooser of ``form``. */
export function startContacts(form, { url, onChange }) {
  const chooser = form.querySelector("#group-chooser");
  if (!chooser || !url) {
    return null;
  }
  const picker = chooser.querySelector("#group-picker");
  const status = chooser.querySelector("#group-status");
  let loading = null;

  /** How many recipients the ticked groups and contacts add, at most (a contact in two
   * groups, or typed too, is sent once). */
  function count() {
    const groups = [...picker.querySelectorAll("input[name=groups]:checked")];
    const people = chooser.querySelectorAll("input[name=contacts]:checked").length;
    return groups.reduce((sum, box) => sum + Number(box.dataset.count || 0), 0) + people;
  }

  /** The groups ticked and what they add; the meter counts them too (``onChange``). */
  function summarise() {
    const ticked = [...picker.querySelectorAll("input[name=groups]:checked")];
    const count = ticked.reduce((sum, box) => sum + Number(box.dataset.count || 0), 0);
    if (onChange) {
      onChange();
    }
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

  startFinder(chooser, () => summarise());
  chooser.addEventListener("toggle", () => {
    if (chooser.open) {
      load();
    }
  });
  chooser.addEventListener("change", summarise);
  if (chooser.open) {
    load();
  }
  summarise();
  return { load, count };
}

/** The contact finder: a search (a number or a name's beginning) whose matches can each be
 * added as a ticked "contacts" box; its address is the finder's data-url. */
function startFinder(chooser, onAdd) {
  const finder = chooser.querySelector("#contact-finder");
  const chosen = chooser.querySelector("#contact-chosen");
  if (!finder || !chosen || !finder.dataset.url) {
    return;
  }
  const search = finder.querySelector("#contact-search");
  const found = finder.querySelector("#contact-found");
  let timer = null;
  let asked = 0;
  finder.hidden = false;

  function add(contact) {
    const id = String(contact.id);
    const there = chosen.querySelector(`input[name=contacts][value="${id}"]`);
    if (there) {
      there.checked = true;
      onAdd();
      return;
    }
    const box = el("input", { type: "checkbox", name: "contacts", value: id, checked: "",
      id: `contact-${id}` });
    chosen.append(el("label", { className: "check", for: `contact-${id}` }, [
      box, ` ${contact.name || contact.phone} `, el("small", { text: contact.name ? contact.phone : "" }),
    ]));
    onAdd();
  }

  function show(list, more) {
    found.replaceChildren();
    for (const contact of list) {
      const button = el("button", { type: "button", className: "secondary add-contact",
        "data-id": String(contact.id), text: gettext("Add") });
      button.addEventListener("click", () => add(contact));
      found.append(el("li", {}, [
        `${contact.name || ""} ${contact.phone} `, button,
      ]));
    }
    if (!list.length) {
      found.append(el("li", { text: gettext("No contact matches.") }));
    } else if (more) {
      found.append(el("li", { text: gettext("More match: type more of the number or name.") }));
    }
  }

  function ask() {
    const q = search.value.trim();
    if (!q) {
      found.replaceChildren();
      return;
    }
    const mine = ++asked;
    fetch(`${finder.dataset.url}?q=${encodeURIComponent(q)}`,
      { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((answer) => {
        if (!answer.ok) {
          throw new Error(String(answer.status));
        }
        return answer.json();
      })
      .then((body) => {
        if (mine === asked) {
          show(body.contacts || [], body.more);
        }
      })
      .catch(() => {
        found.replaceChildren(el("li", { text: gettext("Could not search the address book: try again.") }));
      });
  }

  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault(); // a search, not a send
      clearTimeout(timer);
      ask();
    }
  });
}
