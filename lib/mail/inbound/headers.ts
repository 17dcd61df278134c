// RFC 5322 header block handling on raw bytes: locate, unfold, decode 8-bit and RFC 2047 text, read ids and addresses.
//
// postal-mime reads header lines as UTF-8 only, so a raw Latin-1 or KOI8-R subject would come out as "�".
// Working on the bytes here lets a non-UTF-8 header fall back to the message's own charset instead.
import { addressParser } from "postal-mime";
import type { MailAddress } from "./types";
import { bytesToBinaryString, decodeText, decodeUtf8Lenient, isKnownCharset, normalizeCharset } from "./charset";

export interface HeaderField {
  /** Lower-case field name. */
  key: string;
  /** Field body, unfolded and decoded to text, encoded words (RFC 2047) still encoded. */
  raw: string;
  /** `raw` with encoded words decoded. */
  value: string;
}

export interface HeaderBlockLocation {
  /** Where the header block starts (after a BOM, leading blank lines or an mbox "From " line). */
  start: number;
  /** End of the last header line (exclusive, line break not included). */
  end: number;
  /** First byte of the body (bytes.length when there is none). */
  bodyStart: number;
}

const HEADER_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

interface Line {
  start: number;
  /** End of the content, CR/LF excluded. */
  end: number;
  /** Start of the next line. */
  next: number;
}

function readLine(bytes: Uint8Array, start: number): Line {
  const lf = bytes.indexOf(0x0a, start);
  const next = lf < 0 ? bytes.length : lf + 1;
  let end = lf < 0 ? bytes.length : lf;
  if (end > start && bytes[end - 1] === 0x0d) end--;
  return { start, end, next };
}

function lineText(bytes: Uint8Array, line: Line): string {
  // Only ASCII matters for recognising a header name, so a byte-per-char view is enough.
  let out = "";
  for (let i = line.start; i < Math.min(line.end, line.start + 200); i++) out += String.fromCharCode(bytes[i]);
  return out;
}

/**
 * Finds the top-level header block. Tolerates what real mail and .eml exports carry before it: a UTF-8 BOM,
 * blank lines (GitLab's own fixtures start with one), and an mbox "From sender date" separator line.
 */
export function locateHeaderBlock(bytes: Uint8Array, warnings: string[]): HeaderBlockLocation {
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;

  let probe = start;
  let blank = 0;
  while (probe < bytes.length) {
    const line = readLine(bytes, probe);
    if (line.end > line.start) break;
    blank++;
    probe = line.next;
  }
  if (blank > 0 && probe < bytes.length && HEADER_LINE.test(lineText(bytes, readLine(bytes, probe)))) {
    warnings.push(`ignored ${blank} blank line(s) before the header block`);
    start = probe;
  }
  const first = readLine(bytes, start);
  const firstText = lineText(bytes, first);
  if (firstText.startsWith("From ") && !HEADER_LINE.test(firstText) && first.next < bytes.length) {
    warnings.push('ignored an mbox "From " line before the header block');
    start = first.next;
  }

  const empty = findBlankLine(bytes, start);
  if (empty) return { start, end: empty.lineStart > start ? lineContentEnd(bytes, empty.lineStart - 1) : start, bodyStart: empty.next };
  // No blank line: all header (readLine's rules for the last line).
  let end = bytes.length;
  if (end > start && bytes[end - 1] === 0x0a) end--;
  if (end > start && bytes[end - 1] === 0x0d) end--;
  return { start, end: Math.max(start, end), bodyStart: bytes.length };
}

/** What a top-level header block may hold; past these, fields are cut or left out (see boundHeaderBlock). */
export const HEADER_LIMITS = {
  /** Fields kept at most (real mail has 20–100). */
  maxFields: 500,
  /** A longer field keeps its first and last halves (a References list keeps its root and latest ids). */
  maxFieldBytes: 16 * 1024,
  /** The whole block. */
  maxBlockBytes: 256 * 1024,
  /** All address fields together: postal-mime's address parser costs up to ~1.5 µs a byte. */
  maxAddressBytes: 32 * 1024,
};

// Fields postal-mime or this module run the address parser on.
const ADDRESS_FIELDS = new Set(["from", "sender", "reply-to", "to", "cc", "bcc", "delivered-to", "return-path"]);

/** Index of the first byte at or after `i` that does not continue a UTF-8 sequence. */
function sequenceStart(bytes: Uint8Array, i: number, forward: boolean): number {
  while (i > 0 && i < bytes.length && (bytes[i] & 0xc0) === 0x80) i += forward ? 1 : -1;
  return i;
}

/** `field` (one unfolded-to-be field, line breaks included) cut to its first and last `half` bytes, folded. */
function cutField(field: Uint8Array, half: number): Uint8Array {
  const isBlank = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;
  // Cut at whitespace near the limits when there is some, so words and ids stay whole.
  let headEnd = half;
  for (let i = half; i > half - 512 && i > 0; i--)
    if (isBlank(field[i])) {
      headEnd = i;
      break;
    }
  let tailStart = field.length - half;
  for (let i = tailStart; i < tailStart + 512 && i < field.length; i++)
    if (isBlank(field[i])) {
      tailStart = i;
      break;
    }
  headEnd = sequenceStart(field, headEnd, false);
  tailStart = sequenceStart(field, tailStart, true);
  let tailEnd = field.length;
  while (tailEnd > tailStart && (field[tailEnd - 1] === 0x0a || field[tailEnd - 1] === 0x0d)) tailEnd--;
  const head = field.subarray(0, headEnd);
  const tail = field.subarray(tailStart, tailEnd);
  const out = new Uint8Array(head.length + 3 + tail.length + 2);
  out.set(head);
  out.set([0x0d, 0x0a, 0x20], head.length);
  // Continuation bytes must not start a line at the margin: the fold above starts it with a space.
  let offset = head.length + 3;
  for (const byte of tail) out[offset++] = byte === 0x0d || byte === 0x0a ? 0x20 : byte;
  out.set([0x0d, 0x0a], offset);
  return out;
}

/**
 * The message with its top-level header block within HEADER_LIMITS, or undefined when it already is. Fields
 * over maxFieldBytes keep their first and last halves; fields past the other limits are left out (and said
 * so in `warnings`). postal-mime and this module then read a bounded block: one 2 MB `To:` line took minutes.
 */
export function boundHeaderBlock(bytes: Uint8Array, location: HeaderBlockLocation, warnings: string[]): Uint8Array | undefined {
  if (location.end - location.start <= HEADER_LIMITS.maxFieldBytes) return undefined;
  const kept: Uint8Array[] = [];
  let blockBytes = 0;
  let addressBytes = 0;
  let cut = 0;
  let dropped = 0;
  let full = false;

  const take = (start: number, end: number) => {
    let field = bytes.subarray(start, end);
    if (field.length > HEADER_LIMITS.maxFieldBytes) {
      field = cutField(field, HEADER_LIMITS.maxFieldBytes / 2);
      cut++;
    }
    const colon = field.indexOf(0x3a);
    const name = colon > 0 ? bytesToBinaryString(field.subarray(0, Math.min(colon, 64))).trim().toLowerCase() : "";
    if (ADDRESS_FIELDS.has(name)) {
      if (addressBytes + field.length > HEADER_LIMITS.maxAddressBytes) {
        dropped++;
        return;
      }
      addressBytes += field.length;
    }
    if (blockBytes + field.length > HEADER_LIMITS.maxBlockBytes) {
      dropped++;
      return;
    }
    kept.push(field);
    blockBytes += field.length;
    if (kept.length >= HEADER_LIMITS.maxFields || blockBytes >= HEADER_LIMITS.maxBlockBytes) full = true;
  };

  // Fields are taken as they end; once the block is full the rest is not even looked at.
  let fieldStart = location.start;
  let position = location.start;
  while (position < location.end && !full) {
    const lineFeed = bytes.indexOf(0x0a, position);
    const next = lineFeed < 0 || lineFeed + 1 > location.end ? location.end : lineFeed + 1;
    if (next < location.end && bytes[next] !== 0x20 && bytes[next] !== 0x09) {
      take(fieldStart, next);
      fieldStart = next;
    }
    position = next;
  }
  if (!full && fieldStart < location.end) take(fieldStart, location.end);
  else if (full && position < location.end) dropped++;
  if (!cut && !dropped) return undefined;
  if (cut) warnings.push(`${cut} header field(s) over ${HEADER_LIMITS.maxFieldBytes / 1024} KB cut to their first and last part`);
  if (dropped) warnings.push("header fields left out: over the limits for header fields");
  // Every field but the block's last ends with its line break; `rest` starts with that last line's break,
  // then the blank line and the body. Drop that break when the last kept field brings its own.
  const last = kept[kept.length - 1];
  let rest = bytes.subarray(location.end);
  if (last && last[last.length - 1] === 0x0a) rest = rest.subarray(rest[0] === 0x0d && rest[1] === 0x0a ? 2 : rest[0] === 0x0a ? 1 : 0);
  const out = new Uint8Array(location.start + blockBytes + rest.length);
  out.set(bytes.subarray(0, location.start));
  let offset = location.start;
  for (const field of kept) {
    out.set(field, offset);
    offset += field.length;
  }
  out.set(rest, offset);
  return out;
}

/** End of the content of the line whose line feed is at `lineFeed` (a CR before it is not content). */
function lineContentEnd(bytes: Uint8Array, lineFeed: number): number {
  return lineFeed > 0 && bytes[lineFeed - 1] === 0x0d ? lineFeed - 1 : lineFeed;
}

type NodeBufferClass = { from(buffer: ArrayBufferLike, offset: number, length: number): Uint8Array & { indexOf(value: string, from: number): number } };
const NodeBuffer = (globalThis as { Buffer?: NodeBufferClass }).Buffer;

/**
 * The first empty line (LF or CR LF alone) at or after `start`: where it starts and the byte after it. A
 * hostile header block has millions of lines, so on Node the two byte sequences are searched natively.
 */
function findBlankLine(bytes: Uint8Array, start: number): { lineStart: number; next: number } | undefined {
  if (bytes[start] === 0x0a) return { lineStart: start, next: start + 1 };
  if (bytes[start] === 0x0d && bytes[start + 1] === 0x0a) return { lineStart: start, next: start + 2 };
  if (NodeBuffer) {
    const view = NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const lf = view.indexOf("\n\n", start);
    const crlf = view.indexOf("\n\r\n", start);
    const at = lf < 0 ? crlf : crlf < 0 ? lf : Math.min(lf, crlf);
    if (at < 0) return undefined;
    return { lineStart: at + 1, next: at + (at === lf ? 2 : 3) };
  }
  for (let lineFeed = bytes.indexOf(0x0a, start); lineFeed >= 0; lineFeed = bytes.indexOf(0x0a, lineFeed + 1)) {
    if (bytes[lineFeed + 1] === 0x0a) return { lineStart: lineFeed + 1, next: lineFeed + 2 };
    if (bytes[lineFeed + 1] === 0x0d && bytes[lineFeed + 2] === 0x0a) return { lineStart: lineFeed + 1, next: lineFeed + 3 };
  }
  return undefined;
}

/** Charset to read raw 8-bit header bytes with: the message's own when it names one we know, else none. */
async function headerFallbackCharset(contentTypeRaw: string | undefined): Promise<string | undefined> {
  const match = /charset\s*=\s*"?([^";\s]+)/i.exec(contentTypeRaw ?? "");
  const charset = normalizeCharset(match?.[1]);
  if (!charset || /^(utf-?8|us-ascii|ascii)$/.test(charset)) return undefined;
  return (await isKnownCharset(charset)) ? charset : undefined;
}

async function decodeHeaderBytes(
  bytes: Uint8Array,
  fallbackCharset: string | undefined,
  warnings: string[],
  name: string,
): Promise<string> {
  const { text, invalidBytes } = decodeUtf8Lenient(bytes);
  if (invalidBytes === 0) {
    // Some Japanese mailers put raw ISO-2022-JP (7-bit escape sequences) into headers instead of encoded words.
    if (text.includes("\x1b$B") || text.includes("\x1b$@"))
      return decodeText(bytes, "iso-2022-jp", warnings, `${name} header`);
    return text;
  }
  if (fallbackCharset) {
    warnings.push(`${name} header: raw 8-bit bytes that are not UTF-8; read as ${fallbackCharset}`);
    return decodeText(bytes, fallbackCharset, warnings, `${name} header`);
  }
  warnings.push(`${name} header: raw 8-bit bytes that are not UTF-8; read as windows-1252`);
  return text;
}

/** Splits the header block bytes into fields (unfolded, in order). Lines that are no header are skipped. */
export async function readHeaderFields(
  bytes: Uint8Array,
  location: HeaderBlockLocation,
  warnings: string[],
): Promise<HeaderField[]> {
  const groups: Line[][] = [];
  let position = location.start;
  while (position < location.end) {
    const line = readLine(bytes, position);
    position = line.next;
    if (line.end === line.start) continue;
    if ((bytes[line.start] === 0x20 || bytes[line.start] === 0x09) && groups.length) groups[groups.length - 1].push(line);
    else groups.push([line]);
  }

  const joinedGroups = groups.map((group) => {
    const joined = new Uint8Array(group.reduce((sum, line) => sum + line.end - line.start, 0));
    let offset = 0;
    for (const line of group) {
      joined.set(bytes.subarray(line.start, line.end), offset);
      offset += line.end - line.start;
    }
    return joined;
  });

  // Raw 8-bit headers most likely share the body's charset; read the Content-Type first to learn it.
  const contentType = joinedGroups
    .map((joined) => bytesToBinaryString(joined))
    .find((text) => /^content-type[ \t]*:/i.test(text));
  const fallback = await headerFallbackCharset(contentType);

  const fields: HeaderField[] = [];
  let malformed = 0;
  for (const joined of joinedGroups) {
    const colon = joined.indexOf(0x3a);
    const name = colon > 0 ? new TextDecoder().decode(joined.subarray(0, colon)).replace(/[ \t]+$/, "") : "";
    if (!name || !/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
      malformed++;
      continue;
    }
    const raw = (await decodeHeaderBytes(joined.subarray(colon + 1), fallback, warnings, name))
      .replace(/[\r\n]+/g, " ")
      .replace(/^[ \t]+|[ \t]+$/g, "");
    const value = await decodeEncodedWords(raw, warnings, `${name} header`);
    fields.push({ key: name.toLowerCase(), raw, value });
  }
  if (malformed) warnings.push(`ignored ${malformed} malformed header line(s)`);
  return fields;
}

const BASE64_VALUES = (() => {
  const table = new Int16Array(128).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  // base64url letters turn up in hand-made encoded words; accept them.
  table["-".charCodeAt(0)] = 62;
  table["_".charCodeAt(0)] = 63;
  return table;
})();

/** Base64 that skips junk characters and missing padding instead of throwing (unlike atob). */
export function decodeBase64Lenient(input: string): Uint8Array {
  const out = new Uint8Array(Math.floor((input.length * 3) / 4) + 3);
  let length = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code === 0x3d) break; // "=" padding: nothing meaningful follows
    const value = code < 128 ? BASE64_VALUES[code] : -1;
    if (value < 0) continue;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[length++] = (buffer >> bits) & 0xff;
    }
  }
  return out.slice(0, length);
}

function decodeQ(input: string): Uint8Array {
  const utf8 = new TextEncoder().encode(input.replace(/_/g, " "));
  const out = new Uint8Array(utf8.length);
  let length = 0;
  const hex = (c: number) => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);
  for (let i = 0; i < utf8.length; i++) {
    if (utf8[i] === 0x3d && i + 2 < utf8.length && hex(utf8[i + 1]) >= 0 && hex(utf8[i + 2]) >= 0) {
      out[length++] = (hex(utf8[i + 1]) << 4) | hex(utf8[i + 2]);
      i += 2;
    } else out[length++] = utf8[i];
  }
  return out.slice(0, length);
}

const ENCODED_WORD = /=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=/g;

type EncodedRun = { charset: string; bytes: Uint8Array };

/** Splits text into literal pieces and runs of encoded words (same-charset neighbours joined as bytes). */
function encodedRuns(input: string): (string | EncodedRun)[] {
  const pieces: (string | EncodedRun)[] = [];
  let last = 0;
  for (const match of input.matchAll(ENCODED_WORD)) {
    const between = input.slice(last, match.index);
    const previous = pieces[pieces.length - 1];
    // Whitespace between two encoded words is folding, not text (RFC 2047 section 6.2).
    if (between && !(typeof previous === "object" && /^[ \t\r\n]+$/.test(between))) pieces.push(between);
    const charset = normalizeCharset(match[1]);
    const bytes = match[2].toUpperCase() === "B" ? decodeBase64Lenient(match[3]) : decodeQ(match[3]);
    const tail = pieces[pieces.length - 1];
    if (typeof tail === "object" && tail.charset === charset) {
      // Mailers split multi-byte characters across words, so neighbours are decoded as one byte string.
      const joined = new Uint8Array(tail.bytes.length + bytes.length);
      joined.set(tail.bytes);
      joined.set(bytes, tail.bytes.length);
      tail.bytes = joined;
    } else pieces.push({ charset, bytes });
    last = match.index + match[0].length;
  }
  if (last < input.length) pieces.push(input.slice(last));
  return pieces;
}

/** RFC 2047 decoding in any charset this module knows; never throws (guesses go to `warnings`). */
export async function decodeEncodedWords(input: string, warnings: string[], what: string): Promise<string> {
  if (!input.includes("=?")) return input;
  const parts = await Promise.all(
    encodedRuns(input).map((piece) =>
      typeof piece === "string" ? piece : decodeText(piece.bytes, piece.charset, warnings, what),
    ),
  );
  return parts.join("");
}

/**
 * Rewrites every encoded word as an equivalent UTF-8 one. Address headers go through postal-mime's address
 * parser, which decodes encoded words with TextDecoder alone (wrong for windows-1252 on Node 20, blind to
 * charsets only iconv-lite knows); handing it UTF-8 words keeps the structure and fixes the text.
 */
export async function encodedWordsAsUtf8(input: string, warnings: string[], what: string): Promise<string> {
  if (!input.includes("=?")) return input;
  const pieces = encodedRuns(input);
  const parts = await Promise.all(
    pieces.map(async (piece, index) => {
      if (typeof piece === "string") return piece;
      const utf8 = new TextEncoder().encode(await decodeText(piece.bytes, piece.charset, warnings, what));
      // Two runs in different charsets were separated by folding whitespace; keep them apart.
      const gap = typeof pieces[index - 1] === "object" ? " " : "";
      return `${gap}=?UTF-8?B?${btoa(bytesToBinaryString(utf8))}?=`;
    }),
  );
  return parts.join("");
}

/**
 * Message-IDs from Message-ID / In-Reply-To / References values, without angle brackets, in order, without
 * duplicates. Accepts whitespace- or comma-separated lists, a list wrapped in quotes (Exchange), and bare ids.
 * Of more than MAX_MESSAGE_IDS, the first and the latest are kept.
 */
export function parseMessageIds(values: readonly string[]): string[] {
  const ids = messageIdsOf(values);
  // A thread's root and its latest ids are what threading needs; a list of thousands is not mail.
  return ids.length > MAX_MESSAGE_IDS ? [ids[0], ...ids.slice(ids.length - MAX_MESSAGE_IDS + 1)] : ids;
}

/** Ids kept from one header (References of a long thread hold ~1 per message). */
export const MAX_MESSAGE_IDS = 100;

function messageIdsOf(values: readonly string[]): string[] {
  const ids: string[] = [];
  for (const value of values) {
    const bracketed = [...value.matchAll(/<([^<>]*)>/g)].map((m) => m[1].replace(/\s+/g, ""));
    if (bracketed.length) ids.push(...bracketed);
    else {
      const tokens = value
        .replace(/\([^()]*\)/g, " ")
        .split(/[\s,]+/)
        .map((token) => token.replace(/^["']+|["']+$/g, ""))
        .filter(Boolean);
      // A bare id is a single token; in a longer phrase ("your message of …") only id-like tokens count.
      ids.push(...(tokens.length === 1 ? tokens : tokens.filter((token) => token.includes("@"))));
    }
  }
  return [...new Set(ids.filter(Boolean))];
}

/** Addresses of every occurrence of a header, lower-cased, groups flattened, entries without an address dropped. */
export function parseAddresses(values: readonly string[]): MailAddress[] {
  const out: MailAddress[] = [];
  for (const value of values) {
    let parsed: ReturnType<typeof addressParser>;
    try {
      parsed = addressParser(value, { flatten: true });
    } catch {
      continue;
    }
    const found: MailAddress[] = [];
    for (const entry of parsed) {
      const mailboxes = entry.group ?? [entry];
      for (const mailbox of mailboxes) {
        const address = (mailbox.address ?? "").trim().toLowerCase();
        if (!address) continue;
        const name = mailbox.name?.trim();
        found.push(name ? { address, name } : { address });
      }
    }
    // Broken headers (e.g. "To: Desk <a@b.c>Accept-Language: en" from a mangling relay) defeat the
    // RFC 5322 parser; still pick out what is plainly an address rather than lose the recipient.
    if (!found.length) for (const address of looseAddresses(value)) found.push({ address: address.toLowerCase() });
    out.push(...found);
  }
  return out;
}

// Character classes of the address scanners below, as lookup tables over char codes (all non-ASCII code
// units belong to the negated classes).
const charClass = (excluded: string) => {
  const table = new Uint8Array(128).fill(1);
  for (const c of excluded) table[c.charCodeAt(0)] = 0;
  for (const c of [9, 10, 11, 12, 13, 32]) table[c] = 0;
  return (code: number) => code >= 128 ? code !== 0xa0 && code !== 0x1680 && !(code >= 0x2000 && code <= 0x200a) &&
    code !== 0x2028 && code !== 0x2029 && code !== 0x202f && code !== 0x205f && code !== 0x3000 && code !== 0xfeff : table[code] === 1;
};
const inBracketed = charClass("<>@"); // [^<>\s@]
const inLooseLocal = charClass('<>"(),;:@'); // [^\s<>"(),;:@]
const isDomainChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 45;
const isAlnum = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57);

/**
 * What `/<([^<>\s@]+@[^<>\s@]+)>|([^\s<>"(),;:@]+@[a-z0-9.-]+[a-z0-9])/gi` finds (group 1 or 2 of each match),
 * in time linear in the text: the regex retried its greedy local part from every position of a long run
 * without an `@` (a 64 KB header: 8 s). tests/unit/hostile-scanners.test.ts compares the two.
 */
export function looseAddresses(value: string): string[] {
  const found: string[] = [];
  const n = value.length;
  let p = 0;
  while (p < n) {
    const c = value.charCodeAt(p);
    if (c === 60 /* < */) {
      let x = p + 1;
      while (x < n && inBracketed(value.charCodeAt(x))) x++;
      if (x > p + 1 && value.charCodeAt(x) === 64) {
        let y = x + 1;
        while (y < n && inBracketed(value.charCodeAt(y))) y++;
        if (y > x + 1 && value.charCodeAt(y) === 62) {
          found.push(value.slice(p + 1, y));
          p = y + 1;
          continue;
        }
      }
      p++;
      continue;
    }
    if (!inLooseLocal(c)) {
      p++;
      continue;
    }
    // A local part is the whole run of its characters (they exclude `@`), so every start in the run needs
    // the `@` right after it: try once, then skip the run.
    let q = p;
    while (q < n && inLooseLocal(value.charCodeAt(q))) q++;
    if (value.charCodeAt(q) === 64) {
      let e = q + 1;
      while (e < n && isDomainChar(value.charCodeAt(e))) e++;
      let k = e - 1;
      while (k >= q + 2 && !isAlnum(value.charCodeAt(k))) k--;
      if (k >= q + 2) {
        found.push(value.slice(p, k + 1));
        p = k + 1;
        continue;
      }
    }
    p = q;
  }
  return found;
}

const inRoutingLocal = charClass('<>,;:"'); // [^\s<>,;:"]
const inRoutingDomain = charClass('<>,;"'); // [^\s<>,;"]

/**
 * What `/[^\s<>,;:"]+@[^\s<>,;"]+/g` matches, in linear time (the regex is quadratic in a run of local-part
 * characters without a usable `@`). For the address headers routing searches (Delivered-To and the like).
 */
export function addressesInText(value: string): string[] {
  const found: string[] = [];
  const n = value.length;
  let p = 0;
  while (p < n) {
    if (!inRoutingLocal(value.charCodeAt(p))) {
      p++;
      continue;
    }
    // The local part may contain `@`: the regex backtracks to the last `@` of the run that has a domain
    // character after it, and the domain then runs as far as domain characters go.
    let r = p;
    let at = -1;
    while (r < n && inRoutingLocal(value.charCodeAt(r))) {
      if (value.charCodeAt(r) === 64 && r > p && r + 1 < n && inRoutingDomain(value.charCodeAt(r + 1))) at = r;
      r++;
    }
    if (at < 0) {
      p = r;
      continue;
    }
    let e = at + 1;
    while (e < n && inRoutingDomain(value.charCodeAt(e))) e++;
    found.push(value.slice(p, e));
    p = e;
  }
  return found;
}
