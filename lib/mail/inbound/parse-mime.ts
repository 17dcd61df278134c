// Raw MIME (an .eml, SendGrid "Send Raw" `email` field) → InboundMessage, via postal-mime; never throws on bad mail.
//
// Web APIs only (no node:* imports) so the webhook path stays edge-friendly. postal-mime does the MIME tree
// and transfer decoding; this module adds what intake needs on top: headers read from the raw bytes (8-bit
// and RFC 2047 in any charset), ids without brackets, lower-cased addresses, text parts re-decoded where
// postal-mime guesses silently (unknown charsets, invalid UTF-8), signature parts dropped, and warnings.
//
// Bounded work (issue 17): postal-mime is patched below to collect body bytes in one growing buffer (it made
// a Blob of two parts per line, ~15 µs a line), to give the event loop a turn every SLICE_MS while it parses,
// and to read at most MAX_MIME_PARTS parts; at most MAX_ATTACHMENTS attachments are kept.
import PostalMime, { type Attachment, type Email } from "postal-mime";
import type { InboundAttachment, InboundMessage } from "./types";
import { decodeText, normalizeCharset } from "./charset";
import {
  type HeaderField,
  boundHeaderBlock,
  encodedWordsAsUtf8,
  locateHeaderBlock,
  parseAddresses,
  parseMessageIds,
  readHeaderFields,
} from "./headers";

export type RawMimeInput = string | Uint8Array | ArrayBuffer;

/** Detached signatures (S/MIME, PGP): proof of origin, not something a customer attached. */
export const SIGNATURE_TYPES: ReadonlySet<string> = new Set([
  "application/pkcs7-signature",
  "application/x-pkcs7-signature",
  "application/pgp-signature",
]);

/** Bytes of a body part as it was sent (transfer encoding undone, charset not), with its declared charset. */
export interface BodySource {
  bytes: Uint8Array;
  charset?: string;
}

/** parseRawMime's result plus what a re-encoder (buildSendGridRequest) needs to post the mail like SendGrid. */
export interface RawMimeDetails {
  message: InboundMessage;
  /** Top-level header fields in order, raw (encoded words kept) and decoded. */
  fields: HeaderField[];
  /** The top-level header block exactly as in the input, without the blank line that ends it. */
  headerBlock: Uint8Array;
  /** Set when `message.text` came from one text/plain part: that part's bytes in its own charset. */
  textSource?: BodySource;
  /** Same for `message.html` and one text/html part. */
  htmlSource?: BodySource;
  /** Signature parts left out of `message.attachments`. */
  signatures: InboundAttachment[];
}

/** MIME parts read at most (per message, nested messages each have their own); the rest is not read. */
export const MAX_MIME_PARTS = 500;
/** Attachments kept at most; the rest are left out (with a warning). */
export const MAX_ATTACHMENTS = 100;
/** How long postal-mime parses before it lets the event loop run (other requests wait meanwhile). */
const SLICE_MS = 15;

// ---------------------------------------------------------------------------------------------------------
// postal-mime, bounded. postal-mime reads a message one line at a time through two async calls and hands
// every body line to the part's decoder, whose pieces end in a Blob (~7 µs per piece on Node 20, two pieces
// per 7bit line): 30 MB of short lines took minutes. The patches below (on internals that are not in its
// typings: PostalMime's readLine/processLine, MimeNode's setupContentDecoder, the decoders' `chunks`) keep
// its results byte for byte and change what that costs:
//   - the decoders collect into one growing buffer (ByteSink) instead of an array for the Blob;
//   - body lines that cannot be a boundary are handed to the decoder straight from readLine, in runs (one
//     copy for 7bit/8bit, one call for base64, whose decoder ignores line breaks; one call a line for
//     quoted-printable), so parse() only sees the line that ends a run;
//   - every SLICE_MS the parser lets the event loop run, and after MAX_MIME_PARTS parts it reads no more.
// postalPatched() reports whether they took; tests/unit/hostile-scanners.test.ts fails when an upgrade
// changes those internals, and checks that patched and unpatched postal-mime give the same results.

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());
const yieldToEventLoop = () =>
  new Promise<void>((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));

/**
 * Stands in for a decoder's array of chunks: the decoders push pieces and finally hand the array to
 * `new Blob(...)`; this appends into a growing buffer and iterates as a single piece, so the Blob gets the
 * same bytes in one part.
 */
class ByteSink {
  private buffer = new Uint8Array(256);
  private size = 0;

  private reserve(extra: number) {
    if (this.size + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.size + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.size));
    this.buffer = grown;
  }

  push(chunk: Uint8Array | ArrayBuffer | string): number {
    if (chunk === "\n") {
      this.reserve(1);
      this.buffer[this.size++] = 0x0a;
    } else {
      const bytes =
        typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk);
      this.reserve(bytes.length);
      this.buffer.set(bytes, this.size);
      this.size += bytes.length;
    }
    return this.size ? 1 : 0;
  }

  /**
   * Whole lines `source[start, end)` (`end` just after a LF) as the 7bit decoder takes them: each line
   * without its trailing CRs (postal-mime's readLine drops those), then a LF.
   */
  pushLines(source: Uint8Array, start: number, end: number) {
    this.reserve(end - start);
    const buffer = this.buffer;
    let out = this.size;
    let lineStart = out;
    for (let i = start; i < end; i++) {
      const byte = source[i];
      if (byte === 0x0a) {
        while (out > lineStart && buffer[out - 1] === 0x0d) out--;
        buffer[out++] = 0x0a;
        lineStart = out;
      } else buffer[out++] = byte;
    }
    this.size = out;
  }

  get length(): number {
    return this.size ? 1 : 0;
  }

  /** The bytes as an ArrayBuffer of their own (what the decoder's Blob round trip gave, one copy cheaper). */
  toArrayBuffer(): ArrayBuffer {
    return this.buffer.buffer.slice(this.buffer.byteOffset, this.buffer.byteOffset + this.size) as ArrayBuffer;
  }

  *[Symbol.iterator](): IterableIterator<Uint8Array> {
    if (this.size) yield this.buffer.subarray(0, this.size);
  }
}

/** How a part's decoder takes lines (set by the patched setupContentDecoder). */
const DECODER_KIND = Symbol("decoderKind");
type DecoderKind = "plain" | "base64" | "qp";

interface PatchedDecoder {
  chunks?: unknown;
  update(line: Uint8Array): void;
  finalize(): Promise<ArrayBuffer>;
  flushBuffer?: () => void;
  flushRemainder?: () => void;
  [DECODER_KIND]?: DecoderKind;
}

interface PatchedParser {
  currentNode: { state?: string; contentDecoder?: PatchedDecoder; feed(line: Uint8Array): void };
  boundaries: unknown[];
  buf: ArrayBuffer;
  av: Uint8Array;
  readPos: number;
  finalize(): Promise<void>;
  /** Set when MAX_MIME_PARTS was reached: later lines were not read. */
  partsCapped?: boolean;
  boundedParts?: number;
  /** Bytes read since the last look at the clock, and when that was. */
  boundedWork?: number;
  boundedSince?: number;
  /** The next line feed found (-1: none), valid for any readPos up to it: searched once per line. */
  nextLineFeed?: number;
}
type ProcessLine = (this: PatchedParser, line: Uint8Array, isFinal: boolean) => Promise<void> | undefined;
type ReadLine = (this: PatchedParser) => { bytes: Uint8Array; done: boolean };
type CollectNode = (this: PatchedParser, node: unknown, alternative: unknown, related: boolean) => Promise<void>;

/** A promise to await when the parser has worked SLICE_MS without a break (it then lets the loop run). */
function pace(parser: PatchedParser): Promise<void> | undefined {
  parser.boundedSince ??= now();
  if (now() - parser.boundedSince <= SLICE_MS) return undefined;
  return yieldToEventLoop().then(() => {
    parser.boundedSince = now();
  });
}

/** Body bytes handed to a decoder in one run at most, so the clock is looked at between runs. */
const RUN_BYTES = 256 * 1024;

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

/**
 * Where to cut a line of a quoted-printable or base64 part longer than RUN_BYTES, near `at`: not inside a
 * `=XX` escape (two steps back at most), and not before `--` (the rest of the line must not look like a
 * boundary). A `=` that starts no escape is literal on either side of the cut, as in the whole line.
 */
function cutPoint(bytes: Uint8Array, from: number, at: number): number {
  let cut = at;
  const splitsEscape = (c: number) =>
    (bytes[c - 1] === 0x3d && isHex(bytes[c]) && isHex(bytes[c + 1])) || (bytes[c - 2] === 0x3d && isHex(bytes[c - 1]) && isHex(bytes[c]));
  while (cut > from + 1 && splitsEscape(cut)) cut--;
  while (bytes[cut] === 0x2d && bytes[cut + 1] === 0x2d) cut++;
  return cut;
}

const SOFT_BREAK = new Uint8Array([0x3d]);

/** The first line feed at or after `position` (-1: none), remembered for the pieces of a long line. */
function nextLineFeed(parser: PatchedParser, position: number): number {
  // readPos only moves forward, so "none after here" stays true, and a line feed ahead stays the next one.
  const known = parser.nextLineFeed;
  if (known !== undefined && (known < 0 || position <= known)) return known;
  const found = parser.av.indexOf(0x0a, position);
  parser.nextLineFeed = found;
  return found;
}

/**
 * Hands the current part's complete body lines from `readPos` on to its decoder, up to a line that could be
 * a boundary (`--…` while a multipart is open), the message's last line, or RUN_BYTES: exactly what
 * processLine → feed → decoder.update would do with each of them. A quoted-printable or base64 line longer
 * than RUN_BYTES (RFC 2045 says 76) goes in pieces, each ended with a soft line break for quoted-printable;
 * it returns what readLine should then hand on instead of a line (a no-op for that decoder), else undefined.
 */
function feedBodyRun(parser: PatchedParser): Uint8Array | undefined {
  const node = parser.currentNode;
  const decoder = node.contentDecoder;
  const kind = decoder?.[DECODER_KIND];
  if (node.state !== "body" || !decoder || !kind || parser.partsCapped) return undefined;
  const bytes = parser.av;
  const end = bytes.length;
  const limit = Math.min(end, parser.readPos + RUN_BYTES);
  const boundaries = parser.boundaries.length > 0;
  const start = parser.readPos;
  let position = start;
  let runStart = start;
  let piece: Uint8Array | undefined;
  const flushRun = () => {
    if (position > runStart) {
      if (kind === "plain") (decoder.chunks as ByteSink).pushLines(bytes, runStart, position);
      // The base64 decoder drops every character outside the alphabet, line breaks included.
      else if (kind === "base64") decoder.update(bytes.subarray(runStart, position));
    }
    runStart = position;
  };
  while (position < limit) {
    if (boundaries && bytes[position] === 0x2d && bytes[position + 1] === 0x2d) break;
    const lineFeed = nextLineFeed(parser, position);
    const lineEnd = lineFeed < 0 ? end : lineFeed;
    if (kind !== "plain" && lineEnd - position > RUN_BYTES) {
      flushRun();
      const cut = cutPoint(bytes, position, position + RUN_BYTES);
      const chunk = bytes.subarray(position, cut);
      if (kind === "qp") {
        const withBreak = new Uint8Array(chunk.length + 1);
        withBreak.set(chunk);
        withBreak.set(SOFT_BREAK, chunk.length);
        decoder.update(withBreak);
        piece = SOFT_BREAK;
      } else {
        decoder.update(chunk);
        piece = new Uint8Array(0);
      }
      position = cut;
      runStart = cut;
      break;
    }
    // The last line goes through processLine, which finalises the message after it.
    if (lineFeed < 0 || lineFeed + 1 >= end) break;
    if (kind === "qp") {
      let contentEnd = lineFeed;
      while (contentEnd > position && bytes[contentEnd - 1] === 0x0d) contentEnd--;
      decoder.update(bytes.subarray(position, contentEnd));
    }
    position = lineFeed + 1;
  }
  flushRun();
  parser.boundedWork = (parser.boundedWork ?? 0) + (position - start);
  parser.readPos = position;
  return piece;
}

let patched: boolean | undefined;

/** Applies the patches once; false when postal-mime's internals are not what they were written for. */
function patchPostalMime(): boolean {
  if (patched !== undefined) return patched;
  patched = false;
  const proto = PostalMime.prototype as unknown as { processLine?: ProcessLine; readLine?: ReadLine; collectNode?: CollectNode };
  const root = (new PostalMime() as unknown as { root?: object }).root;
  const nodeProto = root ? (Object.getPrototypeOf(root) as { setupContentDecoder?: (encoding: string) => void }) : undefined;
  const processLine = proto.processLine;
  const readLine = proto.readLine;
  const collectNode = proto.collectNode;
  const setupContentDecoder = nodeProto?.setupContentDecoder;
  if (
    typeof processLine !== "function" ||
    typeof readLine !== "function" ||
    typeof collectNode !== "function" ||
    typeof setupContentDecoder !== "function"
  )
    return false;

  nodeProto!.setupContentDecoder = function (this: { contentDecoder?: PatchedDecoder }, encoding: string) {
    setupContentDecoder.call(this, encoding);
    const decoder = this.contentDecoder;
    if (!decoder || !Array.isArray(decoder.chunks) || decoder.chunks.length !== 0 || typeof decoder.update !== "function") return;
    // The same choice setupContentDecoder makes.
    const kind: DecoderKind = /base64/i.test(encoding) ? "base64" : /quoted-printable/i.test(encoding) ? "qp" : "plain";
    // Each decoder's finalize flushes what it holds back, then makes its chunks a Blob and reads that back.
    const flush = kind === "base64" ? decoder.flushRemainder : kind === "qp" ? decoder.flushBuffer : () => {};
    if (typeof flush !== "function") return;
    const sink = new ByteSink();
    decoder.chunks = sink;
    decoder[DECODER_KIND] = kind;
    decoder.finalize = async () => {
      flush.call(decoder);
      return sink.toArrayBuffer();
    };
  };

  // postal-mime's readLine looks at every byte in JavaScript (a 30 MB line: ~100 ms in one go); this finds the
  // line feed with indexOf and gives the same line: up to it, without the CRs before it.
  proto.readLine = function (this: PatchedParser) {
    const piece = feedBodyRun(this);
    // In the middle of a long line: hand processLine what adds nothing to the part (and looks at the clock).
    if (piece) return { bytes: piece, done: false };
    const bytes = this.av;
    const start = this.readPos;
    const lineFeed = nextLineFeed(this, start);
    let end = lineFeed < 0 ? bytes.length : lineFeed;
    this.readPos = lineFeed < 0 ? bytes.length : lineFeed + 1;
    while (end > start && bytes[end - 1] === 0x0d) end--;
    return { bytes: new Uint8Array(this.buf, bytes.byteOffset + start, end - start), done: this.readPos >= bytes.length };
  };
  // After the last line postal-mime walks the tree and decodes every text part in one go: a break between parts.
  proto.collectNode = function (this: PatchedParser, node: unknown, alternative: unknown, related: boolean) {
    const wait = pace(this);
    return wait ? wait.then(() => collectNode.call(this, node, alternative, related)) : collectNode.call(this, node, alternative, related);
  };

  const boundaryLine = async function (this: PatchedParser, line: Uint8Array, isFinal: boolean) {
    const before = this.currentNode;
    await processLine.call(this, line, isFinal);
    // A new part starts in its header state (a closing boundary returns to a parent, which does not).
    if (this.currentNode !== before && this.currentNode.state === "header") {
      this.boundedParts = (this.boundedParts ?? 0) + 1;
      if (this.boundedParts >= MAX_MIME_PARTS) this.partsCapped = true;
    }
  };
  proto.processLine = function (this: PatchedParser, line: Uint8Array, isFinal: boolean) {
    if (this.partsCapped) {
      // Read no further: jump to the end, and finish there.
      this.readPos = this.av.length;
      return this.finalize();
    }
    this.boundedWork = (this.boundedWork ?? 0) + line.length + 16;
    if (this.boundedWork > RUN_BYTES) {
      this.boundedWork = 0;
      const wait = pace(this);
      if (wait) return wait.then(() => boundaryLine.call(this, line, isFinal));
    }
    // What processLine does with a line that cannot be a boundary, without its two promises.
    if (isFinal || (this.boundaries.length && line.length > 2 && line[0] === 0x2d && line[1] === 0x2d))
      return boundaryLine.call(this, line, isFinal);
    this.currentNode.feed(line);
    return undefined;
  };
  patched = true;
  return true;
}

/** Whether the bounding patches are in place (for the upgrade guard test). */
export function postalPatched(): boolean {
  return patchPostalMime();
}

/** The accepted argument types as bytes; anything else is a programming error, so it throws. */
export function toBytes(raw: unknown): Uint8Array {
  if (typeof raw === "string") return new TextEncoder().encode(raw);
  if (raw instanceof Uint8Array) return raw;
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  throw new TypeError(`expected a string, Uint8Array or ArrayBuffer, got ${raw === null ? "null" : typeof raw}`);
}

/**
 * Parses one raw MIME message. Throws only for an argument that is not a string or bytes; empty, headerless,
 * mislabelled or broken mail still yields a message, with what went wrong in `warnings`.
 */
export async function parseRawMime(raw: RawMimeInput, mode: "raw" | "parsed" = "raw"): Promise<InboundMessage> {
  return (await inspectRawMime(raw, mode, { sources: false })).message;
}

// The parts of postal-mime's MIME tree read here. The tree is not in its typings (it is marked @internal), so
// it is checked at run time; tests/unit/inbound-parse-mime.test.ts fails if an upgrade changes it.
interface PostalNode {
  childNodes: PostalNode[];
  contentType: { parsed: { value: string; params: Record<string, string | undefined> }; multipart: string | false };
  contentDisposition: { parsed: { value: string } };
  content: ArrayBuffer | null;
  getTextContent(): string;
  decodeFlowedText(text: string, delSp: boolean): string;
}

function isPostalNode(value: unknown): value is PostalNode {
  const node = value as Partial<PostalNode> | null | undefined;
  return (
    !!node &&
    Array.isArray(node.childNodes) &&
    typeof node.getTextContent === "function" &&
    typeof node.decodeFlowedText === "function" &&
    typeof node.contentType?.parsed?.value === "string"
  );
}

/** Whether postal-mime's tree is reachable as this module expects (for the upgrade guard test). */
export async function postalTreeAvailable(): Promise<boolean> {
  const parser = new PostalMime();
  await parser.parse("Content-Type: text/plain\r\n\r\nx");
  return isPostalNode((parser as unknown as { root?: unknown }).root);
}

/** Leaves postal-mime turns into body text (its isInlineTextNode), in document order. */
function inlineTextNodes(root: PostalNode): PostalNode[] {
  const out: PostalNode[] = [];
  const walk = (node: PostalNode) => {
    if (!node.contentType.multipart) {
      const type = node.contentType.parsed.value;
      if ((type === "text/plain" || type === "text/html") && node.contentDisposition.parsed.value !== "attachment")
        out.push(node);
    }
    node.childNodes.forEach(walk);
  };
  walk(root);
  return out;
}

/**
 * Replaces pieces of a text in order, each at or after where the previous one ended, without copying the
 * whole text per piece (a mail of many parts made that quadratic). A piece not found is left as it is.
 */
class OrderedReplacer {
  private pieces: string[] = [];
  private cursor = 0;
  private misses = 0;

  constructor(private readonly text: string) {}

  replace(from: string, to: string) {
    // A miss searches the whole rest of the text: after a few, stop looking.
    if (this.misses >= 3) return;
    const index = this.text.indexOf(from, this.cursor);
    if (index < 0) {
      this.misses++;
      return;
    }
    this.pieces.push(this.text.slice(this.cursor, index), to);
    this.cursor = index + from.length;
  }

  result(): string {
    if (!this.pieces.length) return this.text;
    return this.pieces.join("") + this.text.slice(this.cursor);
  }
}

const squash = (text: string | undefined) => (text ?? "").replace(/\s+/g, " ").trim();

function toAttachment(attachment: Attachment): Omit<InboundAttachment, "filename"> & { filename?: string } {
  const content =
    typeof attachment.content === "string"
      ? new TextEncoder().encode(attachment.content)
      : attachment.content instanceof ArrayBuffer
        ? new Uint8Array(attachment.content)
        : new Uint8Array(attachment.content.buffer, attachment.content.byteOffset, attachment.content.byteLength);
  const contentId = attachment.contentId?.trim().replace(/^<|>$/g, "").trim() || undefined;
  const declared = attachment.disposition;
  const disposition: InboundAttachment["disposition"] =
    declared === "inline" ? "inline" : declared === "attachment" ? "attachment" : contentId || attachment.related
        ? "inline"
        : "attachment";
  return {
    filename: attachment.filename?.trim() || undefined,
    contentType: (attachment.mimeType || "application/octet-stream").toLowerCase(),
    content,
    size: content.byteLength,
    ...(contentId ? { contentId } : {}),
    disposition,
  };
}

// Labels whose text postal-mime decodes exactly as ./charset does when ./charset had nothing to warn about
// (valid UTF-8; for the ASCII labels, 7-bit bytes): its text of such a part needs no second look.
const PLAIN_LABELS = new Set(["", "utf-8", "utf8", "us-ascii", "ascii"]);

/** Lets the event loop run when the current stretch of work has lasted SLICE_MS. */
function pacer(): () => Promise<void> {
  let since = now();
  return async () => {
    if (now() - since < SLICE_MS) return;
    await yieldToEventLoop();
    since = now();
  };
}

/** CRLF and lone CR as LF; the regex pass is skipped for text without a CR (most of it). */
export const normalizeNewlines = (text: string | undefined) => (text?.includes("\r") ? text.replace(/\r\n?/g, "\n") : text);

/**
 * parseRawMime with the extra detail buildSendGridRequest needs. Same never-throw rules. `sources: false`
 * skips working out `textSource`/`htmlSource` (whole-text comparisons parseRawMime has no use for).
 */
export async function inspectRawMime(
  raw: RawMimeInput,
  mode: "raw" | "parsed" = "raw",
  options: { sources?: boolean } = {},
): Promise<RawMimeDetails> {
  const breathe = pacer();
  const input = toBytes(raw);
  const warnings: string[] = [];
  if (input.length === 0) warnings.push("empty message");

  const inputLocation = locateHeaderBlock(input, warnings);
  await breathe();
  // Huge or countless header fields are cut before anyone parses them (the original block is still reported).
  const bounded = boundHeaderBlock(input, inputLocation, warnings);
  const bytes = bounded ?? input;
  const location = bounded ? locateHeaderBlock(bytes, []) : inputLocation;
  await breathe();
  const fields = await readHeaderFields(bytes, location, warnings);
  await breathe();
  if (bytes.length > 0 && fields.length === 0) warnings.push("no header fields found");
  const values = (key: string) => fields.filter((field) => field.key === key);

  const headers: Record<string, string[]> = {};
  for (const field of fields) (headers[field.key] ??= []).push(field.value);

  const contentTypeRaw = values("content-type")[0]?.raw;
  let contentType: string | undefined;
  if (contentTypeRaw !== undefined) {
    const type = contentTypeRaw.split(";")[0].trim().toLowerCase();
    if (/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type)) contentType = type;
    else warnings.push(`unreadable Content-Type "${contentTypeRaw.slice(0, 100)}"; body read as text/plain`);
  }

  let text: string | undefined;
  let html: string | undefined;
  let textSource: BodySource | undefined;
  let htmlSource: BodySource | undefined;
  const attachments: InboundAttachment[] = [];
  const signatures: InboundAttachment[] = [];

  let email: Email | undefined;
  let root: PostalNode | undefined;
  try {
    patchPostalMime();
    const parser = new PostalMime({ attachmentEncoding: "arraybuffer" });
    const message = bytes.subarray(location.start);
    // postal-mime copies a view into an ArrayBuffer of its own first; a buffer it can take as it is, it does not.
    const whole = message.byteOffset === 0 && message.byteLength === message.buffer.byteLength && message.buffer instanceof ArrayBuffer;
    email = await parser.parse(whole ? (message.buffer as ArrayBuffer) : message);
    const tree = (parser as unknown as { root?: unknown }).root;
    if (isPostalNode(tree)) root = tree;
    if ((parser as unknown as PatchedParser).partsCapped)
      warnings.push(`more than ${MAX_MIME_PARTS} MIME parts; the parts after the ${MAX_MIME_PARTS}th were not read`);
  } catch (error) {
    warnings.push(`MIME structure could not be parsed (${(error as Error).message}); body read as plain text`);
  }

  if (email) {
    text = email.text;
    html = email.html;
    // postal-mime decodes text parts with TextDecoder alone: unknown charsets silently become windows-1252,
    // invalid bytes U+FFFD, and Node 20 reads windows-1252/iso-8859-1 0x80–0x9F as control characters.
    // Decode each part again with ./charset and swap in the better text where it differs.
    const htmlReplacer = html !== undefined ? new OrderedReplacer(html) : undefined;
    const textReplacer = text !== undefined ? new OrderedReplacer(text) : undefined;
    const nodes = root ? inlineTextNodes(root) : [];
    const decoded: { node: PostalNode; text: string }[] = [];
    for (const node of nodes) {
      // A 30 MB part takes ~60 ms per pass over it: let other requests in between the passes.
      await breathe();
      const partBytes = new Uint8Array(node.content ?? new ArrayBuffer(0));
      const { charset, format, delsp } = node.contentType.parsed.params;
      const isHtml = node.contentType.parsed.value === "text/html";
      if (partBytes.length === 0) {
        decoded.push({ node, text: "" });
        continue;
      }
      const warned = warnings.length;
      let mine = await decodeText(partBytes, charset, warnings, `${node.contentType.parsed.value} part`);
      if (/^flowed$/i.test(format ?? "")) mine = node.decodeFlowedText(mine, /^yes$/i.test(delsp ?? ""));
      decoded.push({ node, text: mine });
      if (warnings.length === warned && PLAIN_LABELS.has(normalizeCharset(charset))) continue;
      await breathe();
      const theirs = node.getTextContent();
      await breathe();
      if (!theirs || theirs === mine) continue;
      (isHtml ? htmlReplacer : textReplacer)?.replace(theirs, mine);
    }
    await breathe();
    if (htmlReplacer) html = htmlReplacer.result();
    if (textReplacer) text = textReplacer.result();
    const single = (type: string, body: string | undefined): BodySource | undefined => {
      const matching = decoded.filter((entry) => entry.node.contentType.parsed.value === type);
      if (matching.length !== 1 || body === undefined) return undefined;
      // Equal is the common case; only text that differs is compared again with its whitespace squashed.
      if (matching[0].text !== body && squash(matching[0].text) !== squash(body)) return undefined;
      const { node } = matching[0];
      return { bytes: new Uint8Array(node.content ?? new ArrayBuffer(0)), charset: node.contentType.parsed.params.charset };
    };
    if (options.sources !== false) {
      textSource = single("text/plain", text);
      htmlSource = single("text/html", html);
    }

    let dropped = 0;
    for (const attachment of email.attachments) {
      const converted = toAttachment(attachment);
      if (SIGNATURE_TYPES.has(converted.contentType)) {
        signatures.push({ ...converted, filename: converted.filename ?? "signature" });
        continue;
      }
      if (attachments.length >= MAX_ATTACHMENTS) {
        dropped++;
        continue;
      }
      attachments.push({ ...converted, filename: converted.filename ?? `attachment-${attachments.length + 1}` });
    }
    if (dropped) warnings.push(`more than ${MAX_ATTACHMENTS} attachments; ${dropped} were left out`);
  }
  // RFC 2045: a Content-Type that cannot be read means text/plain; postal-mime made it an attachment.
  if (contentTypeRaw !== undefined && !contentType && root && !root.contentType.multipart && text === undefined) {
    const body = attachments.splice(0, attachments.length)[0];
    const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentTypeRaw)?.[1];
    if (body) text = await decodeText(body.content, charset, warnings, "body");
  }
  const bodyBytes = bytes.subarray(location.bodyStart);
  // A multipart type that announces parts the body does not have (a phone mailer in GitLab's fixtures does
  // that): what is there is still the customer's text. Same when postal-mime could not parse at all.
  const partless = !!root?.contentType.multipart && root.childNodes.length === 0;
  if ((!email || partless) && text === undefined && html === undefined && bodyBytes.some((byte) => byte > 0x20)) {
    if (partless) warnings.push(`${contentType} body has no MIME parts; read as plain text`);
    const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(contentTypeRaw ?? "")?.[1];
    text = await decodeText(bodyBytes, charset, warnings, "body");
  }
  // One line-break convention for consumers: base64 parts keep the sender's CRLF otherwise.
  await breathe();
  text = normalizeNewlines(text);
  await breathe();
  html = normalizeNewlines(html);
  await breathe();

  const subject = values("subject")[0]?.value ?? "";
  for (const [name, value] of [
    ["subject", subject],
    ["text", text],
    ["html", html],
  ] as const) {
    if (value?.includes("\ufffd") && !warnings.some((w) => w.includes("U+FFFD")))
      warnings.push(`${name} contains U+FFFD replacement characters (undecodable bytes)`);
  }

  const raws = (key: string) => values(key).map((field) => field.raw);
  const addresses = async (key: string) =>
    parseAddresses(
      await Promise.all(values(key).map((field) => encodedWordsAsUtf8(field.raw, [], `${field.key} header`))),
    );
  const message: InboundMessage = {
    mode,
    messageId: parseMessageIds(raws("message-id").slice(0, 1))[0],
    inReplyTo: parseMessageIds(raws("in-reply-to")),
    references: parseMessageIds(raws("references")),
    subject,
    from: (await addresses("from"))[0],
    sender: (await addresses("sender"))[0],
    replyTo: await addresses("reply-to"),
    to: await addresses("to"),
    cc: await addresses("cc"),
    headers,
    envelope: { to: [] },
    contentType,
    text,
    html,
    attachments,
    warnings: [...new Set(warnings)],
  };
  // Keep optional fields absent rather than present-but-undefined, so results compare and serialise cleanly.
  for (const key of ["messageId", "from", "sender", "contentType", "text", "html"] as const)
    if (message[key] === undefined) delete message[key];

  return {
    message,
    fields,
    headerBlock: input.slice(inputLocation.start, inputLocation.end),
    ...(textSource ? { textSource } : {}),
    ...(htmlSource ? { htmlSource } : {}),
    signatures,
  };
}
