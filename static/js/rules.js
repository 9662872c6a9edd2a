/* The send form's rules, mirrored from cafe24/ (phone.py's parsers, message.py's merge,
 * kind and name checks, text.py through euckr.js); keep them in step:
 * tests/test_static_euckr.py runs both on the same inputs.
 *
 * The limits and characters are not written here: createRules() takes them from the
 * server's rules object (form_config.rules() in smsform/views/form_config.py), which
 * the page renders into #smsform-config and node tests pass in.
 */
import * as euckr from "./euckr.js";

// --- the shape of a Korean phone number (phone.py) --------------------------------

// JavaScript's \s matches U+FEFF but not \x1c-\x1f or \x85 (Python's is the reverse):
// spelled out so both sides strip the same characters (phone._PHONE_JUNK).
const INVISIBLE = /[\ufeff\u200b-\u200d\u2060]/g; // BOM, zero-width space/joiners, word joiner
const PHONE_JUNK = /[\s\x1c-\x1f\x85\-.()\ufeff\u200b-\u200d\u2060]/g;
const PHONE_TOKEN = /^[0-9+\-.()]+$/; // the only characters a piece of a number has
const MAX_PHONE_TOKENS = 5; // "+82 (0)10 1234 5678" is the most pieces a typed number has
const ASCII_DIGITS = /^[0-9]+$/;
const MOBILE_OLD = new Set(["011", "016", "017", "018", "019"]);
const REGIONAL = new Set([
  "031", "032", "033", "041", "042", "043", "044",
  "051", "052", "053", "054", "055", "061", "062", "063", "064",
]);

/** Split a domestic number's digits into its dashed parts, or null (phone._split_digits). */
function splitDigits(digits) {
  const n = digits.length;
  if (/^1[568]\d{6}$/.test(digits)) {
    return [digits.slice(0, 4), digits.slice(4)];
  }
  if (digits.startsWith("02") && (n === 9 || n === 10)) {
    return ["02", digits.slice(2, -4), digits.slice(-4)];
  }
  if (/^050[2-8]\d{8}$/.test(digits)) {
    return [digits.slice(0, 4), digits.slice(4, 8), digits.slice(8)];
  }
  const head = digits.slice(0, 3);
  if (head === "080" && n === 10) { // toll-free (080-XXX-XXXX)
    return [head, digits.slice(3, 6), digits.slice(6)];
  }
  if ((head === "010" || head === "070") && n === 11) {
    return [head, digits.slice(3, 7), digits.slice(7)];
  }
  if ((MOBILE_OLD.has(head) || REGIONAL.has(head)) && (n === 10 || n === 11)) {
    return [head, digits.slice(3, -4), digits.slice(-4)];
  }
  return null;
}

/** Parse a typed number into its canonical parts, or null (phone._parts). */
export function phoneParts(raw) {
  let text = String(raw).replace(PHONE_JUNK, "");
  if (text.startsWith("+82")) {
    text = text.slice(3);
  } else if (text.startsWith("82")) {
    text = text.slice(2);
  } else {
    return ASCII_DIGITS.test(text) ? splitDigits(text) : null;
  }
  if (!ASCII_DIGITS.test(text)) {
    return null;
  }
  return splitDigits(text.startsWith("0") ? text : "0" + text);
}

/** A Korean number in canonical dashed form, or null (phone.normalize_phone). */
export function normalizePhone(raw) {
  const parts = phoneParts(raw);
  return parts ? parts.join("-") : null;
}

// --- recipient lists (phone.parse_recipients, phone.parse_destination) --------------

/** Pasted recipient text: composed, invisible characters removed, \x1c-\x1f and \x85 as
 * spaces (phone._clean_entries). */
function cleanEntries(text) {
  return euckr.compose(text).replace(INVISIBLE, "").replace(/[\x1c-\x1f\x85]/g, " ");
}

/** Python's str.split() without arguments (on text that went through cleanEntries). */
function splitWords(text) {
  return text.split(/\s+/).filter(Boolean);
}

/** Collect [raw, phone|null, name] entries (phone._collect). */
function collect(entries) {
  const recipients = [];
  const seen = new Set();
  const duplicates = [];
  const invalid = [];
  for (const [raw, phone, name] of entries) {
    if (phone === null) {
      if (!invalid.includes(raw)) {
        invalid.push(raw);
      }
    } else if (seen.has(phone)) {
      if (!duplicates.includes(phone)) {
        duplicates.push(phone);
      }
    } else {
      seen.add(phone);
      recipients.push({ phone: phone, name: name });
    }
  }
  return { recipients: recipients, duplicates: duplicates, invalid: invalid, entries: entries.length };
}

/** Split a chunk on spaces, keeping "010 1234 5678" whole (phone._space_entries). */
function spaceEntries(chunk) {
  const tokens = splitWords(chunk);
  const entries = [];
  let pending = [];
  let i = 0;
  while (i < tokens.length) {
    // Only runs of up to MAX_PHONE_TOKENS number-like tokens: linear work.
    let phone = null;
    let j = i;
    const last = Math.min(i + MAX_PHONE_TOKENS, tokens.length);
    while (j < last && PHONE_TOKEN.test(tokens[j])) {
      j += 1;
      phone = normalizePhone(tokens.slice(i, j).join(" "));
      if (phone !== null) {
        break;
      }
    }
    if (phone === null) {
      pending.push(tokens[i]);
      i += 1;
      continue;
    }
    if (pending.length) {
      entries.push([pending.join(" "), null, ""]);
      pending = [];
    }
    entries.push([tokens.slice(i, j).join(" "), phone, ""]);
    i = j;
  }
  if (pending.length) {
    entries.push([pending.join(" "), null, ""]);
  }
  return entries;
}

/** Numbers separated by commas, semicolons, newlines, tabs or spaces (phone.parse_recipients). */
export function parseRecipients(text) {
  let entries = [];
  for (const chunk of cleanEntries(text).split(/[,;\r\n\t]+/)) {
    entries = entries.concat(spaceEntries(chunk));
  }
  return collect(entries);
}

/** One entry whose number comes first: "number|name", "number name", "number<TAB>name"
 * (phone._number_name); [raw, phone|null, name, nameFirst]. */
function numberName(entry) {
  const pipe = entry.indexOf("|");
  if (pipe !== -1) {
    return [entry, normalizePhone(entry.slice(0, pipe)), entry.slice(pipe + 1).trim(), false];
  }
  const whole = normalizePhone(entry);
  if (whole !== null) {
    return [entry, whole, "", false];
  }
  const tab = entry.indexOf("\t");
  if (tab !== -1) {
    return [entry, normalizePhone(entry.slice(0, tab)), entry.slice(tab + 1).trim(), false];
  }
  // Only the first few splits: a number has at most MAX_PHONE_TOKENS pieces.
  const spaces = /\s+/g;
  let match;
  let tried = 0;
  while (tried < MAX_PHONE_TOKENS && (match = spaces.exec(entry)) !== null) {
    tried += 1;
    const phone = normalizePhone(entry.slice(0, match.index));
    if (phone !== null) {
      return [entry, phone, entry.slice(match.index + match[0].length).trim(), false];
    }
  }
  return [entry, null, "", false];
}

/** "name number" (spaces between): the longest number among the last few splits, or null
 * (phone._name_number). */
function nameNumber(entry) {
  const splits = Array.from(entry.matchAll(/\s+/g)).slice(-MAX_PHONE_TOKENS);
  for (const match of splits) {
    const phone = normalizePhone(entry.slice(match.index + match[0].length));
    if (phone !== null) {
      return [entry, phone, entry.slice(0, match.index).trim(), true];
    }
  }
  return null;
}

/** One entry: the number first, else "name number" (phone._destination_entry). */
function destinationEntry(entry) {
  const found = numberName(entry);
  if (found[1] === null && !entry.includes("|") && !entry.includes("\t")) {
    return nameNumber(entry) || found;
  }
  return found;
}

/** A line of two fields (a tab or a comma between), one a number and the other not, in
 * either order, as two spreadsheet columns paste; else null (phone._pair). */
function pair(line) {
  if (line.includes("|")) {
    return null;
  }
  const fields = line.includes("\t") ? line.split("\t") : line.split(",");
  if (fields.length !== 2) {
    return null;
  }
  const [first, second] = fields.map((f) => f.trim());
  if (!first || !second) {
    return null;
  }
  const numberFirst = normalizePhone(first);
  const numberSecond = normalizePhone(second);
  if (numberFirst !== null && numberSecond === null) {
    return [line, numberFirst, second, false];
  }
  if (numberSecond !== null && numberFirst === null) {
    return [line, numberSecond, first, true];
  }
  return null;
}

/** The names list: "010-1234-5678|홍길동" entries separated by commas or newlines, or a
 * name and a number on a line in either order (phone.parse_destination); ``nameFirst``
 * counts the entries read name first. */
export function parseDestination(text) {
  const entries = [];
  for (const line of cleanEntries(text).split(/[\r\n]+/)) {
    const found = pair(line);
    if (found !== null) {
      entries.push(found);
      continue;
    }
    for (const part of line.split(",")) {
      const entry = part.trim();
      if (entry) {
        entries.push(destinationEntry(entry));
      }
    }
  }
  const list = collect(entries.map((e) => e.slice(0, 3)));
  list.nameFirst = entries.filter((e) => e[3] && e[1] !== null).length;
  return list;
}

/** The names list with the numbers box's numbers after it, without a name, and how many
 * were added (phone.add_numbers). */
export function addNumbers(names, numbers) {
  const listed = new Set(names.recipients.map((r) => r.phone));
  const added = numbers.recipients.filter((r) => !listed.has(r.phone))
    .map((r) => ({ phone: r.phone, name: "" }));
  const again = numbers.recipients.filter((r) => listed.has(r.phone)).map((r) => r.phone);
  const duplicates = [];
  for (const phone of [...names.duplicates, ...again, ...numbers.duplicates]) {
    if (!duplicates.includes(phone)) {
      duplicates.push(phone);
    }
  }
  return {
    list: {
      recipients: [...names.recipients, ...added], duplicates: duplicates,
      invalid: names.invalid, entries: names.entries, nameFirst: names.nameFirst,
    },
    added: added.length,
  };
}

/**
 * The control characters (C0, DEL, C1) in ``text`` once each, first seen first, except
 * those in ``allowed`` (text.control_chars): no phone shows them.
 */
export function controlChars(text, allowed = "") {
  const seen = [];
  for (const ch of euckr.normalizeText(text)) {
    const c = ch.codePointAt(0);
    if ((c < 0x20 || (c >= 0x7f && c <= 0x9f)) && !allowed.includes(ch) && !seen.includes(ch)) {
      seen.push(ch);
    }
  }
  return seen;
}

/** Characters named by code point, "U+0000 U+001B" (text.code_points). */
export function codePoints(chars) {
  return chars.map((ch) => "U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0"))
    .join(" ");
}

// --- the rules that take the server's values -------------------------------------------

/**
 * The message rules bound to the server's values (form_config.rules()):
 * ``smsLimit``, ``namePlaceholder`` and ``refusedChars`` are read here; the whole object
 * stays on the result as ``limits`` for the form's modules.
 */
export function createRules(limits) {
  const placeholder = limits.namePlaceholder;
  const refusedChars = Array.from(limits.refusedChars);

  /** Replace every placeholder with the name, normalised (message.merge_name). */
  function mergeName(msg, name) {
    const text = euckr.normalizeText;
    return text(text(msg).split(placeholder).join(text(name)));
  }

  /** Characters in any name that cannot be sent: {unsupported, refused} (message.name_chars). */
  function nameChars(recipients) {
    const names = euckr.normalizeText(recipients.map((r) => r.name).join("\n"));
    const refused = refusedChars.filter((ch) => names.includes(ch));
    const unsupported = euckr.unsupported(names).filter((ch) => !refused.includes(ch));
    return { unsupported: unsupported, refused: refused };
  }

  /** EUC-KR bytes of the longest merge, counted without merging (message.longest_merge_length);
   * null without recipients. */
  function longestMergeLength(msg, recipients) {
    if (!recipients.length) {
      return null;
    }
    const text = euckr.normalizeText(msg);
    const placeholders = text.split(placeholder).length - 1;
    let longest = -1;
    for (const r of placeholders ? recipients : recipients.slice(0, 1)) {
      longest = Math.max(longest, euckr.length(r.name));
    }
    return euckr.length(text) + placeholders * (longest - placeholder.length);
  }

  /** How many names are longer than the limit, counted composed (message.check_names). */
  function tooLongNames(recipients) {
    const limit = limits.nameLimit;
    return recipients.filter((r) => Array.from(euckr.normalizeText(r.name)).length > limit).length;
  }

  /** The refused characters (the gateway's -202) that the text contains. */
  function refusedIn(text) {
    return refusedChars.filter((ch) => text.includes(ch));
  }

  /** The control characters of a message: line breaks and tabs are text there (check_lines). */
  function messageControls(text) {
    return controlChars(text, limits.messageControls);
  }

  /** The control characters in any name: a name is one line (check_names). */
  function nameControls(recipients) {
    return controlChars(recipients.map((r) => r.name).join(""));
  }

  /** "S" when ``length`` bytes fit an SMS and LMS is not forced, else "L" (message.message_kind). */
  function messageKind(length, lms) {
    return !lms && length <= limits.smsLimit ? "S" : "L";
  }

  return Object.freeze({
    limits: Object.freeze({ ...limits }),
    normalizePhone: normalizePhone,
    phoneParts: phoneParts,
    parseRecipients: parseRecipients,
    parseDestination: parseDestination,
    addNumbers: addNumbers,
    longestMergeLength: longestMergeLength,
    tooLongNames: tooLongNames,
    normalizeText: euckr.normalizeText,
    mergeName: mergeName,
    nameChars: nameChars,
    refusedIn: refusedIn,
    messageControls: messageControls,
    nameControls: nameControls,
    codePoints: codePoints,
    messageKind: messageKind,
  });
}
