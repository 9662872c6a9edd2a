/* The API reference: renders /api/v1/openapi.json (operations, problem codes, schemas and
 * their examples) into static/api/index.html. Text goes in through textContent only. */

import { el } from "../js/dom.js";

const DOCUMENT_URL = new URL("../../api/v1/openapi.json", import.meta.url);
const REF_PREFIX = "#/components/schemas/";
const CONSTRAINTS = [
  ["minLength", "min length"], ["maxLength", "max length"], ["minimum", "≥"],
  ["maximum", "≤"], ["minItems", "min items"], ["maxItems", "max items"],
  ["pattern", "pattern"], ["format", "format"],
];

/** Text with `code` spans, as the document's descriptions write them. */
export function prose(text) {
  const parts = String(text || "").split("`");
  return parts.map((part, i) => (i % 2 ? el("code", { text: part }) : document.createTextNode(part)));
}

/** A schema's name when it is a reference to one of the components. */
export function refName(schema) {
  return schema && schema.$ref && schema.$ref.startsWith(REF_PREFIX)
    ? schema.$ref.slice(REF_PREFIX.length) : null;
}

/** A schema's type in words: a link for a reference, "a | b" for a choice. */
export function typeNodes(schema) {
  if (!schema) {
    return [document.createTextNode("any")];
  }
  const name = refName(schema);
  if (name) {
    return [el("a", { href: `#schema-${name}`, text: name })];
  }
  const options = schema.anyOf || schema.oneOf;
  if (options) {
    return options.flatMap((option, i) => [
      ...(i ? [document.createTextNode(" | ")] : []), ...typeNodes(option)]);
  }
  if (schema.enum) {
    return [el("code", { text: schema.enum.map((v) => JSON.stringify(v)).join(" | ") })];
  }
  if (schema.type === "array") {
    return [document.createTextNode("array of "), ...typeNodes(schema.items)];
  }
  if (schema.type === "object" && schema.additionalProperties) {
    return [document.createTextNode("object of "), ...typeNodes(schema.additionalProperties)];
  }
  return [document.createTextNode(schema.type || "any")];
}

/** The limits a schema sets, in a short line ("max length 40, pattern ..."). */
export function constraints(schema) {
  const found = [];
  const plain = (schema.anyOf || []).find((s) => s.type !== "null") || schema;
  for (const [key, words] of CONSTRAINTS) {
    if (plain[key] !== undefined) {
      found.push(`${words} ${plain[key]}`);
    }
  }
  if (schema.default !== undefined && schema.default !== null) {
    found.push(`default ${JSON.stringify(schema.default)}`);
  }
  return found.join(", ");
}

function json(value) {
  return el("pre", {}, [el("code", { text: JSON.stringify(value, null, 2) })]);
}

function table(headings, rows) {
  return el("div", { className: "table-wrap" }, [el("table", {}, [
    el("thead", {}, [el("tr", {}, headings.map((h) => el("th", { scope: "col", text: h })))]),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((cell) => el("td", {},
      Array.isArray(cell) ? cell : [cell]))))),
  ])]);
}

function parameters(operation) {
  const rows = (operation.parameters || []).map((p) => [
    el("code", { text: p.name }), p.in, typeNodes(p.schema), p.required ? "yes" : "no",
    [...prose(p.description), document.createTextNode(constraints(p.schema) ? ` (${constraints(p.schema)})` : "")],
  ]);
  return rows.length ? [el("h4", { text: "Parameters" }),
    table(["name", "in", "type", "required", "description"], rows)] : [];
}

function requestBody(operation, schemas) {
  const content = operation.requestBody && operation.requestBody.content;
  if (!content) {
    return [];
  }
  const [mediaType, body] = Object.entries(content)[0];
  const name = refName(body.schema);
  const examples = (name && schemas[name] && schemas[name].examples) || [];
  return [
    el("h4", { text: "Request body" }),
    el("p", {}, [el("code", { text: mediaType }), document.createTextNode(": "),
      ...typeNodes(body.schema)]),
    ...examples.map(json),
  ];
}

function responses(operation) {
  const rows = Object.entries(operation.responses || {}).map(([status, answer]) => {
    const content = Object.entries(answer.content || {})[0];
    return [el("code", { text: status }), prose(answer.description),
      content ? [el("code", { text: content[0] }), document.createTextNode(" "),
        ...typeNodes(content[1].schema)] : "",
      Object.keys(answer.headers || {}).join(", ")];
  });
  return [el("h4", { text: "Responses" }),
    table(["status", "meaning", "body", "headers"], rows)];
}

function operationSection(path, method, operation, schemas) {
  const id = `op-${operation.operationId || `${method}-${path}`}`;
  return el("section", { className: "operation", id }, [
    el("h3", {}, [el("span", { className: `method ${method}`, text: method.toUpperCase() }),
      document.createTextNode(" "), el("code", { text: path })]),
    el("p", { text: operation.summary || "" }),
    el("p", {}, prose(operation.description)),
    ...parameters(operation), ...requestBody(operation, schemas), ...responses(operation),
  ]);
}

function schemaSection(name, schema) {
  const required = new Set(schema.required || []);
  const rows = Object.entries(schema.properties || {}).map(([prop, s]) => [
    el("code", { text: prop }), typeNodes(s), required.has(prop) ? "yes" : "no",
    [...prose(s.description), document.createTextNode(constraints(s) ? ` (${constraints(s)})` : "")],
  ]);
  return el("section", { className: "schema", id: `schema-${name}` }, [
    el("h3", { text: name }),
    el("p", {}, prose(schema.description)),
    table(["member", "type", "required", "description"], rows),
    ...(schema.additionalProperties === false ? [el("p", { text: "No other members are accepted." })] : []),
    ...(schema.examples || []).map(json),
  ]);
}

/** Fill the page from the document. */
export function render(doc, root = document) {
  const schemas = doc.components.schemas;
  root.getElementById("title").textContent = `${doc.info.title} v${doc.info.version}`;
  root.getElementById("description").replaceChildren(...prose(doc.info.description));
  const operations = root.getElementById("operations");
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      operations.append(operationSection(path, method, operation, schemas));
    }
  }
  const problems = root.getElementById("problem-list");
  for (const [code, meaning] of Object.entries(doc["x-problems"] || {})) {
    problems.append(el("dt", { id: `problem-${code}` }, [el("code", { text: code })]),
      el("dd", {}, prose(meaning)));
  }
  const schemaRoot = root.getElementById("schemas");
  for (const [name, schema] of Object.entries(schemas)) {
    schemaRoot.append(schemaSection(name, schema));
  }
  for (const id of ["operations", "problems", "schemas"]) {
    root.getElementById(id).hidden = false;
  }
  root.getElementById("loading").hidden = true;
  if (location.hash) {
    const target = root.getElementById(location.hash.slice(1));
    if (target) {
      target.scrollIntoView();
    }
  }
}

async function start() {
  const status = document.getElementById("loading");
  try {
    const answer = await fetch(DOCUMENT_URL, { headers: { Accept: "application/json" } });
    if (!answer.ok) {
      throw new Error(`HTTP ${answer.status}`);
    }
    render(await answer.json());
  } catch (error) {
    status.textContent = `openapi.json을 읽지 못했습니다 (could not load openapi.json): ${error.message}`;
  }
}

if (typeof document !== "undefined") {
  start();
}
