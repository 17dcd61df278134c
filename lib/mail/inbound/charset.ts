// Bytes → text for inbound mail: WHATWG TextDecoder (own windows-1252 table), iconv-lite for labels it lacks; never throws.
//
// Web APIs only on the common path (the webhook stays edge-friendly): iconv-lite is imported lazily and only
// for charsets Node's full-ICU TextDecoder cannot decode (ISO-8859-16, UTF-7, DOS code pages, Mac variants…).

const utf8Fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Loose = new TextDecoder("utf-8", { ignoreBOM: true });

// windows-1252 as WHATWG defines it (and as mail labelled iso-8859-1 or us-ascii really means it). Built by
// hand: Node 20's TextDecoder("windows-1252") decodes 0x80–0x9F as Latin-1 control characters instead of
// "€", "“", "”", "–"… Every byte maps to a distinct code point, so it can stand in for any stray byte.
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];
const cp1252Codes: Uint16Array = Uint16Array.from({ length: 256 }, (_, byte) =>
  byte >= 0x80 && byte <= 0x9f ? CP1252_HIGH[byte - 0x80] : byte,
);
const cp1252Table: string[] = Array.from(cp1252Codes, (code) => String.fromCharCode(code));

export function decodeWindows1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 0x4000) {
    const chunk = bytes.subarray(i, Math.min(i + 0x4000, bytes.length));
    parts.push(String.fromCharCode(...Array.from(chunk, (byte) => cp1252Codes[byte])));
  }
  return parts.join("");
}

/** Length of the well-formed UTF-8 sequence starting at `i`, or 0 when the byte there starts none. */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < bytes.length && bytes[i + k] >= lo && bytes[i + k] <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    // Ranges from RFC 3629: no overlong forms (E0 A0..), no UTF-16 surrogates (ED ..9F).
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    utf8Fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * UTF-8 that tolerates stray bytes: every byte that is not part of a well-formed sequence is read as
 * windows-1252. Mail that claims UTF-8 but carries a Latin-1 "é" (a common mislabel) then reads "é", not "�".
 */
export function decodeUtf8Lenient(bytes: Uint8Array): { text: string; invalidBytes: number } {
  let text: string | undefined;
  let invalidBytes = 0;
  try {
    // Valid UTF-8 (nearly all mail) is decoded once, not validated and then decoded.
    text = utf8Fatal.decode(bytes);
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    const out: string[] = [];
    let runStart = 0;
    let i = 0;
    while (i < bytes.length) {
      const length = utf8SequenceLength(bytes, i);
      if (length > 0) {
        i += length;
        continue;
      }
      if (i > runStart) out.push(utf8Loose.decode(bytes.subarray(runStart, i)));
      out.push(cp1252Table[bytes[i]]);
      invalidBytes++;
      i++;
      runStart = i;
    }
    if (i > runStart) out.push(utf8Loose.decode(bytes.subarray(runStart, i)));
    text = out.join("");
  }
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, invalidBytes };
}

type IconvModule = {
  decode(buffer: Uint8Array, encoding: string): string;
  encode(content: string, encoding: string): Uint8Array;
  encodingExists(encoding: string): boolean;
  getDecoder(encoding: string): { write(buffer: Uint8Array): string; end(): string | undefined };
};

// Big texts are decoded in pieces with a turn of the event loop in between, so other requests are not held
// up: a 30 MB part in KOI8-R takes ~50 ms to decode, in UTF-7 (iconv-lite) up to ~400 ms per MB.
const PIECE_BYTES = 1024 * 1024;
/** UTF-7 decodes so slowly that only this much of a part is read (a part that long in UTF-7 is not mail). */
export const MAX_UTF7_BYTES = 1024 * 1024;
const yieldToEventLoop = () =>
  new Promise<void>((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));

async function decodeInPieces(bytes: Uint8Array, piece: number, write: (chunk: Uint8Array) => string, end: () => string): Promise<string> {
  const parts: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += piece) {
    if (offset > 0) await yieldToEventLoop();
    parts.push(write(bytes.subarray(offset, Math.min(bytes.length, offset + piece))));
  }
  parts.push(end());
  return parts.join("");
}

let iconvPromise: Promise<IconvModule | undefined> | undefined;

/** iconv-lite, loaded on first need (it pulls in Node's Buffer); undefined where it cannot load. */
export function loadIconv(): Promise<IconvModule | undefined> {
  iconvPromise ??= import("iconv-lite").then(
    (mod) => ((mod as { default?: IconvModule }).default ?? (mod as unknown as IconvModule)),
    () => undefined,
  );
  return iconvPromise;
}

const UTF8_LABELS = new Set(["utf-8", "utf8", "unicode-1-1-utf-8", "unicode-2-0-utf-8", "x-unicode20utf8"]);
// Labels that promise 7-bit text; mail tagged so that still carries 8-bit bytes is nearly always UTF-8 or Latin-1.
const ASCII_LABELS = new Set(["us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "cp367", "ibm367", "7bit", "8bit"]);
// Labels that say "no idea" outright.
const UNKNOWN_LABELS = new Set(["unknown-8bit", "unknown", "x-unknown", "default", "none", "binary"]);

// Spellings seen in mail that neither TextDecoder nor iconv-lite accept as written.
const ALIASES: Record<string, string> = {
  "iso-8859-8-i": "iso-8859-8",
  "iso-8859-6-i": "iso-8859-6",
  "ks_c_5601-1987": "euc-kr",
  "x-sjis": "shift_jis",
  "shift-jis": "shift_jis",
  "ms932": "shift_jis",
  "cp932": "shift_jis",
  "windows-31j": "shift_jis",
  "cp936": "gbk",
  "cp949": "euc-kr",
  "cp950": "big5",
  "iso-2022-jp-1": "iso-2022-jp",
  "iso-2022-jp-2": "iso-2022-jp",
  "x-mac-roman": "macintosh",
  "utf-7-imap": "utf-7",
};

type Resolved =
  | { kind: "utf8" }
  | { kind: "cp1252" }
  | { kind: "ascii" }
  | { kind: "web"; decoder: TextDecoder; name: string }
  | { kind: "iconv"; name: string }
  | { kind: "unknown" };

const webDecoders = new Map<string, TextDecoder | null>();

function webDecoder(label: string): TextDecoder | null {
  let decoder = webDecoders.get(label);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label);
    } catch {
      decoder = null;
    }
    // Bounded by the number of distinct labels a process meets; cap it anyway against hostile input.
    if (webDecoders.size < 512) webDecoders.set(label, decoder);
  }
  return decoder;
}

/** Lower-cased label without quotes, comments or an RFC 2231 language suffix ("utf-8*en" → "utf-8"). */
export function normalizeCharset(charset: string | undefined | null): string {
  return (charset ?? "")
    .trim()
    .replace(/^["']+|["']+$/g, "")
    .replace(/\*.*$/, "")
    .trim()
    .toLowerCase();
}

async function resolveCharset(charset: string | undefined | null): Promise<Resolved> {
  const label = normalizeCharset(charset);
  if (!label || UTF8_LABELS.has(label)) return { kind: "utf8" };
  if (ASCII_LABELS.has(label)) return { kind: "ascii" };
  if (UNKNOWN_LABELS.has(label)) return { kind: "unknown" };
  const candidates = [label, ALIASES[label], label.replace(/^(x-|cs)/, "")].filter((c): c is string => !!c);
  for (const candidate of candidates) {
    const decoder = webDecoder(candidate);
    if (decoder) {
      if (decoder.encoding === "utf-8") return { kind: "utf8" };
      // Covers iso-8859-1, latin1, cp1252…: WHATWG maps them all to windows-1252, which Node 20 gets wrong.
      if (decoder.encoding === "windows-1252") return { kind: "cp1252" };
      return { kind: "web", decoder, name: candidate };
    }
  }
  const iconv = await loadIconv();
  if (iconv) {
    for (const candidate of candidates) if (iconv.encodingExists(candidate)) return { kind: "iconv", name: candidate };
  }
  return { kind: "unknown" };
}

/** Whether `charset` names something this module can decode exactly (not a guess). */
export async function isKnownCharset(charset: string | undefined | null): Promise<boolean> {
  const resolved = await resolveCharset(charset);
  return resolved.kind !== "unknown";
}

/**
 * Decodes `bytes` as `charset` (UTF-8 when none is given). Never throws: what it had to guess is pushed onto
 * `warnings`, prefixed with `what` (e.g. "text/plain part").
 */
export async function decodeText(
  bytes: Uint8Array,
  charset: string | undefined | null,
  warnings: string[],
  what: string,
): Promise<string> {
  const resolved = await resolveCharset(charset);
  const label = normalizeCharset(charset);
  switch (resolved.kind) {
    case "utf8": {
      const { text, invalidBytes } = decodeUtf8Lenient(bytes);
      if (invalidBytes > 0)
        warnings.push(`${what}: ${invalidBytes} byte(s) invalid in ${label || "UTF-8 (no charset given)"}; read as windows-1252`);
      return text;
    }
    case "ascii":
    case "unknown": {
      const { text, invalidBytes } = decodeUtf8Lenient(bytes);
      const eightBit = bytes.some((b) => b >= 0x80);
      if (resolved.kind === "unknown") warnings.push(`${what}: unknown charset "${label}"; decoded as UTF-8/windows-1252`);
      else if (eightBit)
        warnings.push(`${what}: 8-bit bytes in ${label} text; decoded as ${invalidBytes ? "windows-1252" : "UTF-8"}`);
      return text;
    }
    case "cp1252":
      return decodeWindows1252(bytes);
    case "web": {
      let text: string;
      if (bytes.length > 4 * PIECE_BYTES) {
        // A decoder of its own: the shared one must not be left mid-stream between the pieces.
        const decoder = new TextDecoder(resolved.name);
        text = await decodeInPieces(bytes, 4 * PIECE_BYTES, (chunk) => decoder.decode(chunk, { stream: true }), () => decoder.decode());
      } else text = resolved.decoder.decode(bytes);
      if (text.includes("\ufffd")) warnings.push(`${what}: bytes not valid in ${label}; replaced with U+FFFD`);
      return text;
    }
    case "iconv": {
      const iconv = await loadIconv();
      try {
        let input = bytes;
        if (/^(?:unicode-1-1-)?utf-?7$/.test(resolved.name) && input.length > MAX_UTF7_BYTES) {
          warnings.push(`${what}: UTF-7 text over ${MAX_UTF7_BYTES / 1048576} MB; only the first MB was read`);
          input = input.subarray(0, MAX_UTF7_BYTES);
        }
        const piece = /utf-?7/.test(resolved.name) ? PIECE_BYTES / 8 : PIECE_BYTES;
        let text: string;
        if (input.length > piece) {
          const decoder = iconv!.getDecoder(resolved.name);
          text = await decodeInPieces(input, piece, (chunk) => decoder.write(chunk), () => decoder.end() ?? "");
        } else text = iconv!.decode(input, resolved.name);
        if (text.includes("\ufffd")) warnings.push(`${what}: bytes not valid in ${label}; replaced with U+FFFD`);
        return text;
      } catch (error) {
        warnings.push(`${what}: ${label} decoding failed (${(error as Error).message}); decoded as UTF-8/windows-1252`);
        return decodeUtf8Lenient(bytes).text;
      }
    }
  }
}

/** Latin-1 view of bytes (one char per byte): for scanning ASCII structure in binary data without decoding it. */
export function bytesToBinaryString(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    out += String.fromCharCode(...bytes.subarray(i, Math.min(i + 0x8000, bytes.length)));
  return out;
}
