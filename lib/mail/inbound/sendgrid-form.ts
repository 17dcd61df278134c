// Builds the multipart/form-data body SendGrid Inbound Parse would POST for an .eml (CLI `mail:send`, tests).
//
// Parsed mode mirrors SendGrid's byte-level behaviour: `text`/`html` carry the body part's own bytes in its own
// charset (named in `charsets`), `headers` the raw header block, files the decoded attachments.
import type { InboundAttachment } from "./types";
import { decodeText, loadIconv, normalizeCharset } from "./charset";
import { type RawMimeDetails, inspectRawMime, toBytes } from "./parse-mime";

export interface SendGridRequestOptions {
  /** Envelope recipients (SMTP RCPT TO); default: the To and Cc addresses. */
  to?: string[];
  /** spam_score to report; default 0. */
  spamScore?: number;
}

type FormValue = { name: string; value: Uint8Array; filename?: string; contentType?: string };

const encoder = new TextEncoder();

/** The multipart/form-data request SendGrid would send for `rawMime` in the given mode. */
export async function buildSendGridRequest(
  rawMime: string | Uint8Array,
  mode: "raw" | "parsed",
  options: SendGridRequestOptions = {},
): Promise<{ body: Uint8Array<ArrayBuffer>; contentType: string }> {
  if (mode !== "raw" && mode !== "parsed") throw new TypeError(`mode must be "raw" or "parsed", got ${String(mode)}`);
  const bytes = toBytes(rawMime);
  const details = await inspectRawMime(bytes, mode);
  const { message } = details;

  const headerText = (key: string) =>
    details.fields
      .filter((field) => field.key === key)
      .map((field) => field.value)
      .join(", ");
  // SMTP MAIL FROM: what Return-Path recorded ("<>" for a bounce stays empty), else the sender.
  const returnPath = details.fields.find((f) => f.key === "return-path")?.raw;
  const envelopeFrom =
    returnPath !== undefined
      ? returnPath.replace(/^<|>$/g, "").trim().toLowerCase()
      : (message.sender?.address ?? message.from?.address);
  const envelope = {
    to: options.to ?? [...message.to, ...message.cc].map((address) => address.address),
    ...(envelopeFrom !== undefined ? { from: envelopeFrom } : {}),
  };
  const spamScore = String(options.spamScore ?? 0);
  const text = (name: string, value: string): FormValue => ({ name, value: encoder.encode(value) });

  const values: FormValue[] = [];
  if (mode === "raw") {
    values.push(
      text("dkim", "none"),
      { name: "email", value: bytes },
      text("to", headerText("to")),
      text("from", headerText("from")),
      text("sender_ip", "192.0.2.1"),
      text("envelope", JSON.stringify(envelope)),
      text("subject", message.subject),
      text("charsets", JSON.stringify({ to: "UTF-8", from: "UTF-8", subject: "UTF-8" })),
      text("SPF", "none"),
      text("spam_score", spamScore),
    );
  } else {
    const charsets: Record<string, string> = { to: "UTF-8", from: "UTF-8", cc: "UTF-8" };
    const subject = await encodeSubject(details);
    charsets.subject = subject.charset;
    values.push(
      { name: "headers", value: details.headerBlock },
      text("dkim", "none"),
      text("to", headerText("to")),
      ...(headerText("cc") ? [text("cc", headerText("cc"))] : []),
      text("from", headerText("from")),
      text("sender_ip", "192.0.2.1"),
      text("envelope", JSON.stringify(envelope)),
      { name: "subject", value: subject.bytes },
    );
    for (const kind of ["text", "html"] as const) {
      const body = message[kind];
      if (body === undefined) continue;
      const source = kind === "text" ? details.textSource : details.htmlSource;
      // SendGrid passes a body part on in the charset it came in; the merged text of several parts as UTF-8.
      if (source && source.charset && (await roundTrips(source.bytes, source.charset, body))) {
        values.push({ name: kind, value: source.bytes });
        charsets[kind] = source.charset;
      } else {
        values.push(text(kind, body));
        charsets[kind] = "UTF-8";
      }
    }
    values.push(text("charsets", JSON.stringify(charsets)), text("SPF", "none"), text("spam_score", spamScore));

    const attachments: InboundAttachment[] = [...message.attachments, ...details.signatures];
    const info: Record<string, Record<string, string>> = {};
    attachments.forEach((attachment, index) => {
      const name = `attachment${index + 1}`;
      info[name] = {
        filename: attachment.filename,
        name: attachment.filename,
        type: attachment.contentType,
        ...(attachment.contentId ? { "content-id": attachment.contentId } : {}),
      };
    });
    values.push(text("attachments", String(attachments.length)));
    if (attachments.length) values.push(text("attachment-info", JSON.stringify(info)));
    attachments.forEach((attachment, index) =>
      values.push({
        name: `attachment${index + 1}`,
        value: attachment.content,
        filename: attachment.filename,
        contentType: attachment.contentType,
      }),
    );
  }
  return encodeMultipart(values);
}

/** Whether `bytes` read as `charset` give `expected` again (so the declared charset is honest). */
async function roundTrips(bytes: Uint8Array, charset: string, expected: string): Promise<boolean> {
  const decoded = await decodeText(bytes, charset, [], "check");
  return decoded.replace(/\s+/g, " ").trim() === expected.replace(/\s+/g, " ").trim();
}

/**
 * The subject in the charset of its encoded words when they all share one that can be re-encoded exactly
 * (SendGrid reports such subjects with that charset), else UTF-8.
 */
async function encodeSubject(details: RawMimeDetails): Promise<{ bytes: Uint8Array; charset: string }> {
  const subject = details.message.subject;
  const raw = details.fields.find((field) => field.key === "subject")?.raw ?? "";
  const charsets = new Set([...raw.matchAll(/=\?([^?\s]+)\?[QqBb]\?[^?]*\?=/g)].map((m) => normalizeCharset(m[1])));
  const [charset] = [...charsets];
  if (charsets.size === 1 && charset && !/^utf-?8$/.test(charset)) {
    const iconv = await loadIconv();
    if (iconv?.encodingExists(charset)) {
      const bytes = new Uint8Array(iconv.encode(subject, charset));
      if ((await decodeText(bytes, charset, [], "check")) === subject) return { bytes, charset };
    }
  }
  return { bytes: encoder.encode(subject), charset: "UTF-8" };
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = haystack.indexOf(needle[0]); i >= 0 && i <= haystack.length - needle.length; i = haystack.indexOf(needle[0], i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Quotes a form-data name or filename the way browsers do (HTML's multipart/form-data encoding). */
const quote = (value: string) => `"${value.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A")}"`;

function encodeMultipart(values: FormValue[]): { body: Uint8Array<ArrayBuffer>; contentType: string } {
  let boundary: string;
  let delimiter: Uint8Array;
  // A boundary must not occur in any value; with random hex that is only ever a formality.
  do {
    const random = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
    boundary = `xYzZY${random}`;
    delimiter = encoder.encode(`--${boundary}`);
  } while (values.some((value) => contains(value.value, delimiter)));

  const chunks: Uint8Array[] = [];
  for (const value of values) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name=${quote(value.name)}`;
    if (value.filename !== undefined) head += `; filename=${quote(value.filename)}`;
    head += "\r\n";
    if (value.contentType) head += `Content-Type: ${value.contentType}\r\n`;
    chunks.push(encoder.encode(head + "\r\n"), value.value, encoder.encode("\r\n"));
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  const body = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}
