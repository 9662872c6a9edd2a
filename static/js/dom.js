/* Small DOM helpers shared by the form's modules. */

/** Make an element: ``attrs`` (``text`` and ``className`` as properties), then children. */
export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "text") {
      node.textContent = value;
    } else if (key === "className") {
      node.className = value;
    } else {
      node.setAttribute(key, value);
    }
  }
  for (const child of children || []) {
    node.append(child);
  }
  return node;
}

/** Add an id to an element's aria-describedby list once. */
export function describedBy(control, id) {
  const ids = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
  if (!ids.includes(id)) {
    ids.push(id);
    control.setAttribute("aria-describedby", ids.join(" "));
  }
}

/** Each item in a <mark>, separated by ", " (characters or numbers a person must fix). */
export function marks(items) {
  const out = [];
  items.forEach((item, index) => {
    if (index) {
      out.push(", ");
    }
    out.push(el("mark", { text: item }));
  });
  return out;
}

/** Append a translated text whose %(name)s placeholders stand for nodes (or lists of them). */
export function appendWith(node, text, parts) {
  const pieces = text.split(/%\((\w+)\)s/);
  pieces.forEach((piece, index) => {
    if (index % 2 === 0) {
      if (piece) {
        node.append(piece);
      }
      return;
    }
    const part = Object.prototype.hasOwnProperty.call(parts, piece) ? parts[piece] : `%(${piece})s`;
    node.append(...(Array.isArray(part) ? part : [part]));
  });
  return node;
}
