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
import { decodeText } from "./charset";
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
// postal-mime, bounded. These patch internals that are not in its typings (processLine, MimeNode's
// setupContentDecoder and its decoders' `chunks`); postalPatched() reports whether they took, and
// tests/unit/inbound-parse-mime.test.ts fails when an upgrade changes them.

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());
const yieldToEventLoop = () =>
  new Promise<void>((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));

/**
 * Stands in for a decoder's array of chunks: postal-mime's decoders push pieces and finally hand the array to
 * `new Blob(...)`, which costs ~7 µs per piece on Node 20 — and the 7bit/8bit decoder pushes two per line.
 * This one appends into a growing buffer and iterates as a single piece, so the Blob gets the same bytes.
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

  get length(): number {
    return this.size ? 1 : 0;
  }

  *[Symbol.iterator](): IterableIterator<Uint8Array> {
    if (this.size) yield this.buffer.subarray(0, this.size);
  }
}

interface PatchedParser {
  currentNode: { state?: string; feed(line: Uint8Array): void };
  boundaries: unknown[];
  finalize(): Promise<void>;
  /** Set when MAX_MIME_PARTS was reached: later lines were not read. */
  partsCapped?: boolean;
  boundedParts?: number;
  boundedLines?: number;
  boundedSince?: number;
}
type ProcessLine = (this: PatchedParser, line: Uint8Array, isFinal: boolean) => Promise<void> | undefined;

let patched: boolean | undefined;

/** Applies the patches once; false when postal-mime's internals are not what they were written for. */
function patchPostalMime(): boolean {
  if (patched !== undefined) return patched;
  patched = false;
  const proto = PostalMime.prototype as unknown as { processLine?: ProcessLine };
  const root = (new PostalMime() as unknown as { root?: object }).root;
  const nodeProto = root ? (Object.getPrototypeOf(root) as { setupContentDecoder?: (encoding: string) => void }) : undefined;
  const processLine = proto.processLine;
  const setupContentDecoder = nodeProto?.setupContentDecoder;
  if (typeof processLine !== "function" || typeof setupContentDecoder !== "function" || !nodeProto) return false;

  nodeProto.setupContentDecoder = function (this: { contentDecoder?: { chunks?: unknown } }, encoding: string) {
    setupContentDecoder.call(this, encoding);
    const decoder = this.contentDecoder;
    if (decoder && Array.isArray(decoder.chunks) && decoder.chunks.length === 0) decoder.chunks = new ByteSink();
  };
  // parse() awaits processLine once per line, and postal-mime's is async: two promises per line. A line that
  // cannot be a boundary only goes to the current part (what processLine does with it), synchronously.
  const slow = async function (this: PatchedParser, line: Uint8Array, isFinal: boolean) {
    const before = this.currentNode;
    await processLine.call(this, line, isFinal);
    // A new part starts in its header state (a closing boundary returns to a parent, which does not).
    if (this.currentNode !== before && this.currentNode.state === "header") {
      this.boundedParts = (this.boundedParts ?? 0) + 1;
      if (this.boundedParts >= MAX_MIME_PARTS) this.partsCapped = true;
    }
  };
  proto.processLine = function (this: PatchedParser, line: Uint8Array, isFinal: boolean) {
    if (this.partsCapped) return isFinal ? this.finalize() : undefined;
    this.boundedLines = (this.boundedLines ?? 0) + 1;
    if ((this.boundedLines & 1023) === 0) {
      this.boundedSince ??= now();
      if (now() - this.boundedSince > SLICE_MS)
        return yieldToEventLoop().then(() => {
          this.boundedSince = now();
          return slow.call(this, line, isFinal);
        });
    }
    if (isFinal || (this.boundaries.length && line.length > 2 && line[0] === 0x2d && line[1] === 0x2d))
      return slow.call(this, line, isFinal);
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
  return (await inspectRawMime(raw, mode)).message;
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

/** parseRawMime with the extra detail buildSendGridRequest needs. Same never-throw rules. */
export async function inspectRawMime(raw: RawMimeInput, mode: "raw" | "parsed" = "raw"): Promise<RawMimeDetails> {
  const input = toBytes(raw);
  const warnings: string[] = [];
  if (input.length === 0) warnings.push("empty message");

  const inputLocation = locateHeaderBlock(input, warnings);
  // Huge or countless header fields are cut before anyone parses them (the original block is still reported).
  const bounded = boundHeaderBlock(input, inputLocation, warnings);
  const bytes = bounded ?? input;
  const location = bounded ? locateHeaderBlock(bytes, []) : inputLocation;
  const fields = await readHeaderFields(bytes, location, warnings);
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
    email = await parser.parse(bytes.subarray(location.start));
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
      const partBytes = new Uint8Array(node.content ?? new ArrayBuffer(0));
      const { charset, format, delsp } = node.contentType.parsed.params;
      const isHtml = node.contentType.parsed.value === "text/html";
      if (partBytes.length === 0) {
        decoded.push({ node, text: "" });
        continue;
      }
      let mine = await decodeText(partBytes, charset, warnings, `${node.contentType.parsed.value} part`);
      if (/^flowed$/i.test(format ?? "")) mine = node.decodeFlowedText(mine, /^yes$/i.test(delsp ?? ""));
      decoded.push({ node, text: mine });
      const theirs = node.getTextContent();
      if (!theirs || theirs === mine) continue;
      (isHtml ? htmlReplacer : textReplacer)?.replace(theirs, mine);
    }
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
    textSource = single("text/plain", text);
    htmlSource = single("text/html", html);

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
  text = text?.replace(/\r\n?/g, "\n");
  html = html?.replace(/\r\n?/g, "\n");

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
