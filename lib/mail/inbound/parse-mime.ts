// Raw MIME (an .eml, SendGrid "Send Raw" `email` field) → InboundMessage, via postal-mime; never throws on bad mail.
//
// Web APIs only (no node:* imports) so the webhook path stays edge-friendly. postal-mime does the MIME tree
// and transfer decoding; this module adds what intake needs on top: headers read from the raw bytes (8-bit
// and RFC 2047 in any charset), ids without brackets, lower-cased addresses, text parts re-decoded where
// postal-mime guesses silently (unknown charsets, invalid UTF-8), signature parts dropped, and warnings.
import PostalMime, { type Attachment, type Email } from "postal-mime";
import type { InboundAttachment, InboundMessage } from "./types";
import { decodeText } from "./charset";
import {
  type HeaderField,
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

/** Replaces `from` by `to` at or after `cursor`; returns the new text and where the next search starts. */
function replaceFrom(text: string, from: string, to: string, cursor: number): [string, number] {
  const index = text.indexOf(from, cursor);
  if (index < 0) return [text, cursor];
  return [text.slice(0, index) + to + text.slice(index + from.length), index + to.length];
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
  const bytes = toBytes(raw);
  const warnings: string[] = [];
  if (bytes.length === 0) warnings.push("empty message");

  const location = locateHeaderBlock(bytes, warnings);
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
    const parser = new PostalMime({ attachmentEncoding: "arraybuffer" });
    email = await parser.parse(bytes.subarray(location.start));
    const tree = (parser as unknown as { root?: unknown }).root;
    if (isPostalNode(tree)) root = tree;
  } catch (error) {
    warnings.push(`MIME structure could not be parsed (${(error as Error).message}); body read as plain text`);
  }

  if (email) {
    text = email.text;
    html = email.html;
    // postal-mime decodes text parts with TextDecoder alone: unknown charsets silently become windows-1252,
    // invalid bytes U+FFFD, and Node 20 reads windows-1252/iso-8859-1 0x80–0x9F as control characters.
    // Decode each part again with ./charset and swap in the better text where it differs.
    const cursors = { plain: 0, html: 0 };
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
      // No `[html, cursors.html] = …` here: Next's production minifier turned that destructuring target into
      // the constant 0, a syntax error in the built server chunk (the webhook route failed to load).
      if (isHtml && html !== undefined) {
        const replaced = replaceFrom(html, theirs, mine, cursors.html);
        html = replaced[0];
        cursors.html = replaced[1];
      }
      if (!isHtml && text !== undefined) {
        const replaced = replaceFrom(text, theirs, mine, cursors.plain);
        text = replaced[0];
        cursors.plain = replaced[1];
      }
    }
    const single = (type: string, body: string | undefined): BodySource | undefined => {
      const matching = decoded.filter((entry) => entry.node.contentType.parsed.value === type);
      if (matching.length !== 1 || body === undefined || squash(matching[0].text) !== squash(body)) return undefined;
      const { node } = matching[0];
      return { bytes: new Uint8Array(node.content ?? new ArrayBuffer(0)), charset: node.contentType.parsed.params.charset };
    };
    textSource = single("text/plain", text);
    htmlSource = single("text/html", html);

    for (const attachment of email.attachments) {
      const converted = toAttachment(attachment);
      if (SIGNATURE_TYPES.has(converted.contentType)) {
        signatures.push({ ...converted, filename: converted.filename ?? "signature" });
        continue;
      }
      attachments.push({ ...converted, filename: converted.filename ?? `attachment-${attachments.length + 1}` });
    }
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
    headerBlock: bytes.slice(location.start, location.end),
    ...(textSource ? { textSource } : {}),
    ...(htmlSource ? { htmlSource } : {}),
    signatures,
  };
}
