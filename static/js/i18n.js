/* gettext for the page's scripts: the English message id in, the current language out.
 *
 * The translations come from the server, made from the same catalog as the pages
 * (translations/<lang>/LC_MESSAGES/messages.po): the ``messages`` object of the
 * #smsform-config block maps each id to its text, or, for an ngettext id, to its two
 * forms [one, other]. A missing id is its own (English) text.
 */

let catalog = null;

/** The messages of the page's config block (read once), or none outside a page. */
function messages() {
  if (catalog === null) {
    const node = typeof document === "undefined" ? null : document.getElementById("smsform-config");
    catalog = node ? JSON.parse(node.textContent).messages || {} : {};
  }
  return catalog;
}

/** Use these messages instead of the page's (main.js passes the config it read; tests). */
export function setMessages(map) {
  catalog = map || {};
}

/** Fill %(name)s placeholders from ``params`` ("%%" is a percent sign, as in Python). */
export function interpolate(text, params) {
  if (!params) {
    return text;
  }
  return text.replace(/%(?:\((\w+)\)s|%)/g, (whole, name) => {
    if (name === undefined) {
      return "%";
    }
    return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole;
  });
}

/** The translation of ``msgid``, with its %(name)s placeholders filled from ``params``. */
export function gettext(msgid, params) {
  const text = messages()[msgid];
  return interpolate(typeof text === "string" ? text : msgid, params);
}

/** The form of ``singular``/``plural`` for ``n``, filled from ``params`` (``num`` is n).
 * The server sends [one, other]: Korean's single form twice, English's two. */
export function ngettext(singular, plural, n, params) {
  const forms = messages()[singular];
  const one = n === 1;
  const text = Array.isArray(forms) ? forms[one ? 0 : 1] : one ? singular : plural;
  return interpolate(text, { num: n, ...params });
}

/** A number as the pages print it: 2,000 (the same separators in Korean and English). */
export function formatNumber(n) {
  return Number(n).toLocaleString("en-US");
}
