/* A page shown in another site's frame (?embed=1): tell the parent what happened.
 *
 * The server renders #smsform-embed: ``allowed``, the origins that may frame the form
 * besides this site (SMSFORM_FRAME_ANCESTORS); ``sent``, after a send, the message for the
 * parent (type "smsform:sent"); ``continue``, for nointeractive, where to go next.
 *
 * A message goes only to the parent's own origin, and only when that origin is allowed:
 * never to "*". The parent's origin is location.ancestorOrigins[0] where the browser has
 * it (Chromium, Safari); elsewhere the origin of the page that opened the frame
 * (document.referrer, when it is another site's), remembered for the frame's later pages
 * (after a sign-in or a send, the referrer is this site). postMessage itself delivers
 * nothing when the parent is not on the origin named, so a wrong guess tells nobody.
 */

const STORE_KEY = "smsform:parent-origin";

/** The origin of a URL, or null. */
function originOf(url) {
  try {
    return url ? new URL(url).origin : null;
  } catch {
    return null;
  }
}

/** Remember or recall the parent's origin for this frame (storage may be refused). */
function remembered(origin) {
  try {
    if (origin) {
      window.sessionStorage.setItem(STORE_KEY, origin);
      return origin;
    }
    return window.sessionStorage.getItem(STORE_KEY);
  } catch {
    return origin || null;
  }
}

/** The parent window's origin as well as this browser can tell it, or null. */
export function parentOrigin() {
  const ancestors = window.location.ancestorOrigins;
  if (ancestors && ancestors.length) {
    return ancestors[0];
  }
  const referrer = originOf(document.referrer);
  if (referrer && referrer !== window.location.origin) {
    return remembered(referrer);
  }
  return remembered(null);
}

/** Whether ``origin`` may hear of sends: this site or one of the allowed origins. */
export function mayTell(origin, allowed) {
  return Boolean(origin) && origin !== "null" &&
    (origin === window.location.origin || allowed.includes(origin));
}

/**
 * Post ``message`` to the parent when it is on an allowed origin; say what was done
 * on <body data-parent-told> ("yes", "not-allowed" or "not-framed").
 */
function tellParent(message, allowed) {
  if (window.parent === window) {
    document.body.dataset.parentTold = "not-framed";
    return false;
  }
  const origin = parentOrigin();
  if (!mayTell(origin, allowed)) {
    document.body.dataset.parentTold = "not-allowed";
    return false;
  }
  window.parent.postMessage(message, origin);
  document.body.dataset.parentTold = "yes";
  return true;
}

/** Read the data block and tell the parent of a send, then go on (nointeractive). */
function start() {
  const block = document.getElementById("smsform-embed");
  if (!block) {
    return;
  }
  const data = JSON.parse(block.textContent || "{}");
  const allowed = Array.isArray(data.allowed) ? data.allowed : [];
  if (window.parent !== window) {
    parentOrigin(); // learn it on the frame's first page, while the referrer is the parent
  }
  if (data.sent) {
    tellParent(data.sent, allowed);
  }
  if (data.continue) {
    window.location.replace(data.continue);
  }
}

start(); // a module runs once the document is parsed
