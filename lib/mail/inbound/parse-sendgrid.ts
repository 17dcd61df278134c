// SendGrid Inbound Parse webhook payload (default "parsed" mode or "Send Raw") → InboundMessage; never throws on bad input.
//
// The webhook hands over the exact stored request body (parseSendGridBody) so that text/html/subject fields
// can be decoded with the charset SendGrid declares in `charsets`; request.formData() would already have read
// them as UTF-8. parseSendGridForm serves callers that only have a FormData (its strings are taken as is).
import type { InboundAttachment, InboundMessage, MailAddress } from "./types";
import { decodeText, decodeUtf8Lenient } from "./charset";
import { parseMultipartFormData } from "./form-data";
import { parseAddresses } from "./headers";
import { MAX_ATTACHMENTS, SIGNATURE_TYPES, normalizeNewlines, parseRawMime } from "./parse-mime";

/** One form field: raw bytes, plus its text when the caller already decoded it (FormData). */
interface Field {
  name: string;
  bytes: Uint8Array;
  text?: string;
  filename?: string;
  contentType?: string;
  /** charset parameter of the part's own Content-Type, used when `charsets` names none. */
  charset?: string;
}

const encoder = new TextEncoder();

/**
 * Parses the webhook's raw request body (`contentType` = the request's Content-Type header, boundary included).
 * multipart/form-data is what SendGrid sends; application/x-www-form-urlencoded is accepted for hand-made posts.
 */
export async function parseSendGridBody(body: Uint8Array, contentType: string): Promise<InboundMessage> {
  if (!(body instanceof Uint8Array)) throw new TypeError("parseSendGridBody: body must be a Uint8Array");
  if (typeof contentType !== "string") throw new TypeError("parseSendGridBody: contentType must be a string");
  const warnings: string[] = [];
  let fields: Field[];
  if (/^\s*application\/x-www-form-urlencoded/i.test(contentType)) {
    fields = [...new URLSearchParams(decodeUtf8Lenient(body).text)].map(([name, text]) => ({
      name,
      text,
      bytes: encoder.encode(text),
    }));
  } else {
    fields = parseMultipartFormData(body, contentType, warnings).map((part) => ({
      name: part.name,
      bytes: part.bytes,
      ...(part.filename !== undefined ? { filename: part.filename } : {}),
      ...(part.contentType ? { contentType: part.contentType } : {}),
      ...(part.contentTypeRaw && /charset\s*=/i.test(part.contentTypeRaw)
        ? { charset: /charset\s*=\s*"?([^";\s]+)/i.exec(part.contentTypeRaw)![1] }
        : {}),
    }));
  }
  return fromFields(fields, warnings);
}

/** Parses a FormData SendGrid posted (e.g. from `request.formData()`); its text fields count as correct text. */
export async function parseSendGridForm(form: FormData): Promise<InboundMessage> {
  if (!form || typeof (form as FormData).entries !== "function")
    throw new TypeError("parseSendGridForm: expected a FormData");
  const fields: Field[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === "string") fields.push({ name, text: value, bytes: encoder.encode(value) });
    else
      fields.push({
        name,
        bytes: new Uint8Array(await value.arrayBuffer()),
        filename: value.name,
        ...(value.type ? { contentType: value.type.split(";")[0].trim().toLowerCase() } : {}),
      });
  }
  const warnings: string[] = [];
  for (const f of fields)
    if (f.text?.includes("\ufffd"))
      warnings.push(
        `${f.name} field: contains U+FFFD, likely bytes FormData could not read as UTF-8 (parse the raw body with parseSendGridBody)`,
      );
  return fromFields(fields, warnings);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const str = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() ? value.trim() : undefined;

/** "<A@B.C>" / "a@b.c" → "a@b.c". */
const bareAddress = (value: string) => value.trim().replace(/^<|>$/g, "").trim().toLowerCase();

async function fromFields(fields: Field[], warnings: string[]): Promise<InboundMessage> {
  const field = (name: string) => fields.find((f) => f.name === name);
  const plain = (f: Field) => f.text ?? decodeUtf8Lenient(f.bytes).text;
  const json = (name: string): unknown => {
    const f = field(name);
    if (!f || !plain(f).trim()) return undefined;
    try {
      return JSON.parse(plain(f));
    } catch {
      warnings.push(`${name}: not valid JSON; ignored`);
      return undefined;
    }
  };

  const charsets: Record<string, string> = {};
  const charsetsJson = json("charsets");
  if (isRecord(charsetsJson)) {
    for (const [key, value] of Object.entries(charsetsJson)) if (str(value)) charsets[key.toLowerCase()] = str(value)!;
  } else if (charsetsJson !== undefined) warnings.push("charsets: not a JSON object; ignored");

  // Decodes a text field with the charset SendGrid declared for it (UTF-8 when none).
  const textOf = async (name: string): Promise<string | undefined> => {
    const f = field(name);
    if (!f) return undefined;
    return f.text ?? decodeText(f.bytes, charsets[name] ?? f.charset, warnings, `${name} field`);
  };

  let message: InboundMessage;
  const email = field("email");
  if (email) {
    message = await parseRawMime(email.text ?? email.bytes, "raw");
  } else {
    message = await fromParsedFields(fields, field, textOf, json, warnings);
  }

  message.envelope = readEnvelope(json("envelope"), warnings);

  const spam = field("spam_score");
  const spamText = spam ? plain(spam).trim() : "";
  if (spamText) {
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(spamText)) message.spamScore = Number(spamText);
    else warnings.push(`spam_score: "${spamText.slice(0, 40)}" is not a number; ignored`);
  }

  const senderIp = field("sender_ip");
  const ipText = senderIp ? plain(senderIp).trim() : "";
  if (/^[0-9a-f.:]{2,45}$/i.test(ipText)) message.senderIp = ipText;

  message.warnings = [...new Set([...message.warnings, ...warnings])];
  return message;
}

function readEnvelope(value: unknown, warnings: string[]): InboundMessage["envelope"] {
  if (value === undefined) return { to: [] };
  if (!isRecord(value)) {
    warnings.push("envelope: not a JSON object; ignored");
    return { to: [] };
  }
  const rawTo = value.to === undefined ? [] : Array.isArray(value.to) ? value.to : [value.to];
  const to = rawTo.filter((entry): entry is string => !!str(entry)).map(bareAddress);
  if (to.length !== rawTo.length) warnings.push("envelope: ignored recipients that are not strings");
  // An empty `from` is meaningful: SMTP's null sender (MAIL FROM:<>) marks a bounce.
  return typeof value.from === "string" ? { from: bareAddress(value.from), to } : { to };
}

async function fromParsedFields(
  fields: Field[],
  field: (name: string) => Field | undefined,
  textOf: (name: string) => Promise<string | undefined>,
  json: (name: string) => unknown,
  warnings: string[],
): Promise<InboundMessage> {
  const headersField = field("headers");
  let base: InboundMessage;
  if (headersField) {
    // The header block alone, ended by an empty line, is a valid message with an empty body.
    const block = headersField.text !== undefined ? encoder.encode(headersField.text) : headersField.bytes;
    const message = new Uint8Array(block.length + 4);
    message.set(block);
    message.set(encoder.encode("\r\n\r\n"), block.length);
    base = await parseRawMime(message, "parsed");
  } else {
    if (!fields.some((f) => ["text", "html", "from", "to", "subject"].includes(f.name)))
      warnings.push("no SendGrid Inbound Parse fields (neither email nor headers/text/html)");
    else warnings.push("parsed mode without a headers field; ids and headers unknown");
    base = { mode: "parsed", inReplyTo: [], references: [], subject: "", replyTo: [], to: [], cc: [], headers: {}, envelope: { to: [] }, attachments: [], warnings: [] };
  }

  const addressField = async (name: string): Promise<MailAddress[]> => {
    const value = await textOf(name);
    return value ? parseAddresses([value]) : [];
  };
  const from = base.from ?? (await addressField("from"))[0];
  const to = base.to.length ? base.to : await addressField("to");
  const cc = base.cc.length ? base.cc : await addressField("cc");
  const subjectField = await textOf("subject");
  const text = normalizeNewlines(await textOf("text"));
  const html = normalizeNewlines(await textOf("html"));

  const message: InboundMessage = {
    ...base,
    mode: "parsed",
    subject: subjectField !== undefined ? subjectField.replace(/[\r\n]+/g, " ").trim() : base.subject,
    to,
    cc,
    attachments: readAttachments(fields, field, json, warnings),
  };
  if (from) message.from = from;
  if (text !== undefined) message.text = text;
  else delete message.text;
  if (html !== undefined) message.html = html;
  else delete message.html;
  return message;
}

function readAttachments(
  fields: Field[],
  field: (name: string) => Field | undefined,
  json: (name: string) => unknown,
  warnings: string[],
): InboundAttachment[] {
  const infoJson = json("attachment-info");
  const info = isRecord(infoJson) ? infoJson : {};
  if (infoJson !== undefined && !isRecord(infoJson)) warnings.push("attachment-info: not a JSON object; ignored");

  // The first field of each name (a Set: findIndex per field was quadratic in thousands of fields).
  const seen = new Set<string>();
  const files = fields
    .filter((f) => {
      if (!/^attachment\d+$/.test(f.name) || seen.has(f.name)) return false;
      seen.add(f.name);
      return true;
    })
    .sort((a, b) => Number(a.name.slice(10)) - Number(b.name.slice(10)));

  const countField = field("attachments");
  const count = countField ? Number((countField.text ?? decodeUtf8Lenient(countField.bytes).text).trim()) : undefined;
  if (count !== undefined && count !== files.length)
    warnings.push(`attachments: announced ${Number.isNaN(count) ? "a non-number" : count}, received ${files.length}`);

  const attachments: InboundAttachment[] = [];
  let dropped = 0;
  for (const file of files) {
    const meta = isRecord(info[file.name]) ? (info[file.name] as Record<string, unknown>) : {};
    const contentType = (str(meta.type) ?? file.contentType ?? "application/octet-stream").split(";")[0].trim().toLowerCase();
    if (SIGNATURE_TYPES.has(contentType)) continue;
    if (attachments.length >= MAX_ATTACHMENTS) {
      dropped++;
      continue;
    }
    const contentId = str(meta["content-id"])?.replace(/^<|>$/g, "").trim() || undefined;
    const content = file.bytes.slice();
    attachments.push({
      filename: str(meta.filename) ?? str(meta.name) ?? str(file.filename) ?? `attachment-${attachments.length + 1}`,
      contentType,
      content,
      size: content.byteLength,
      ...(contentId ? { contentId } : {}),
      // attachment-info has no disposition; a Content-ID means the HTML refers to the part inline.
      disposition: contentId ? "inline" : "attachment",
    });
  }
  if (dropped) warnings.push(`more than ${MAX_ATTACHMENTS} attachments; ${dropped} were left out`);
  return attachments;
}
