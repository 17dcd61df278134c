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

  let position = start;
  let end = start;
  while (position < bytes.length) {
    const line = readLine(bytes, position);
    if (line.end === line.start) return { start, end, bodyStart: line.next };
    end = line.end;
    position = line.next;
  }
  return { start, end: bytes.length, bodyStart: bytes.length };
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
 */
export function parseMessageIds(values: readonly string[]): string[] {
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
    if (!found.length)
      for (const match of value.matchAll(/<([^<>\s@]+@[^<>\s@]+)>|([^\s<>"(),;:@]+@[a-z0-9.-]+[a-z0-9])/gi))
        found.push({ address: (match[1] ?? match[2]).toLowerCase() });
    out.push(...found);
  }
  return out;
}
