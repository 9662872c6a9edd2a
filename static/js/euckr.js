/* EUC-KR as the gateway counts it: composed text, "\n" newlines, 2 bytes per KS X 1001
 * character. Mirrors cafe24/text.py (normalize_text, euckr_length, unsupported_chars,
 * is_supported); the table itself is generated into euckr_table.js.
 */
import { COMBINING_RANGES, RANGES } from "./euckr_table.js";

/** "\uXXXX" for a code point below 0x10000, as a regular expression class needs it. */
function escape(cp) {
  return "\\u" + cp.toString(16).padStart(4, "0");
}

// A character followed by combining marks or conjoining jamo (text._COMBINING_RUN).
const COMBINING_RUN = new RegExp(
  ".?[" + COMBINING_RANGES.map(([a, b]) => escape(a) + "-" + escape(b)).join("") + "]+", "gu");

/** True when the code point is ASCII or one 2-byte KS X 1001 character. */
export function isSupported(cp) {
  if (cp < 0x80) {
    return true;
  }
  let lo = 0;
  let hi = RANGES.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < RANGES[mid][0]) {
      hi = mid - 1;
    } else if (cp > RANGES[mid][1]) {
      lo = mid + 1;
    } else {
      return true;
    }
  }
  return false;
}

/** Turn "\r\n" and a lone "\r" into "\n", as the server counts them. */
export function normalizeNewlines(text) {
  return String(text).replace(/\r\n?/g, "\n");
}

/** Compose what was pasted decomposed (NFD, e.g. Hangul jamo) and nothing else:
 * full NFC would make U+212B unsendable (text.compose). */
export function compose(text) {
  return String(text).replace(COMBINING_RUN, (run) => run.normalize("NFC"));
}

/** Newlines as "\n" and decomposed text composed, as the server counts and sends it. */
export function normalizeText(text) {
  return compose(normalizeNewlines(text));
}

/** EUC-KR bytes of the normalised text: 1 per code point below 0x80, else 2. */
export function length(text) {
  let n = 0;
  for (const ch of normalizeText(text)) {
    n += ch.codePointAt(0) < 0x80 ? 1 : 2;
  }
  return n;
}

/** The characters EUC-KR cannot send, once each, in first-seen order. */
export function unsupported(text) {
  const seen = new Set();
  const out = [];
  for (const ch of normalizeText(text)) {
    if (!seen.has(ch)) {
      seen.add(ch);
      if (!isSupported(ch.codePointAt(0))) {
        out.push(ch);
      }
    }
  }
  return out;
}
