/* The header's menus (templates/components/nav.html): they open and close without a script
 * (<details>); this adds what a menu is expected to do besides. Escape shuts the open menu
 * and puts the focus back on its name; a click or focus outside a menu shuts it; opening a
 * group shuts the others (for browsers without <details name>).
 */

const toggles = () => [...document.querySelectorAll("#nav details.nav-toggle, #menu-toggle")];

/** Shut every open menu except ``keep`` (and the one that holds it). */
function shutAll(keep) {
  for (const details of toggles()) {
    if (details.open && details !== keep && !details.contains(keep)) {
      details.open = false;
    }
  }
}

/** The menu a node belongs to: a group's <details> or its list, or the folded menu. */
function menuOf(node) {
  const group = node.closest && node.closest(".nav-group");
  if (group) {
    return group.querySelector("details.nav-toggle");
  }
  return node.closest && node.closest("#menu-toggle, #nav-panel") ? document.getElementById("menu-toggle") : null;
}

function start() {
  for (const details of document.querySelectorAll("#nav details.nav-toggle")) {
    details.addEventListener("toggle", () => {
      if (details.open) {
        shutAll(details);
      }
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") {
      return;
    }
    const open = toggles().filter((d) => d.open && getComputedStyle(d).display !== "none");
    const innermost = open.find((d) => d.classList.contains("nav-toggle")) || open[0];
    if (innermost) {
      innermost.open = false;
      innermost.querySelector("summary").focus();
    }
  });
  const outside = (event) => {
    const menu = menuOf(event.target);
    for (const details of document.querySelectorAll("#nav details.nav-toggle")) {
      if (details.open && details !== menu) {
        details.open = false;
      }
    }
  };
  document.addEventListener("click", outside);
  document.addEventListener("focusin", outside);
}

start();
