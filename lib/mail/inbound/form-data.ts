// A byte-exact multipart/form-data reader for SendGrid's webhook body: fields keep their raw bytes.
//
// request.formData() decodes every text field as UTF-8, which destroys text SendGrid posts in the mail's own
// charset (see `charsets`). Reading the parts ourselves keeps the bytes so the declared charset can be used.
import { decodeUtf8Lenient } from "./charset";

export interface FormPart {
  name: string;
  /** Set for file parts (Content-Disposition carries a filename). */
  filename?: string;
  /** The part's Content-Type, lower-cased, without parameters. */
  contentType?: string;
  /** Full Content-Type value (parameters such as charset included). */
  contentTypeRaw?: string;
  bytes: Uint8Array;
}

/** Form parts read at most (SendGrid posts ~15 fields plus one per attachment); the rest is not read. */
export const MAX_FORM_PARTS = 1000;

/** `boundary` parameter of a multipart Content-Type, or undefined. */
export function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** Parameters of a structured header value (`form-data; name="a"; filename*=UTF-8''b%C3%A9`), names lower-cased. */
export function headerParams(value: string): Record<string, string> {
  const params: Record<string, string> = {};
  const pattern = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const match of value.matchAll(pattern)) {
    const key = match[1].toLowerCase();
    let param = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : match[3].trim();
    if (key.endsWith("*")) {
      // RFC 5987 ext-value: charset'language'percent-encoded (browsers and curl use UTF-8).
      const ext = /^([^']*)'[^']*'(.*)$/.exec(param);
      if (ext) {
        try {
          param = decodeURIComponent(ext[2]);
        } catch {
          param = ext[2];
        }
      }
      params[key.slice(0, -1)] = param;
      continue;
    }
    // HTML's form encoding escapes only these three in names and filenames.
    param = param.replace(/%22/g, '"').replace(/%0D/gi, "\r").replace(/%0A/gi, "\n");
    if (!(key in params)) params[key] = param;
  }
  return params;
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  for (let i = haystack.indexOf(first, from); i >= 0 && i <= haystack.length - needle.length; i = haystack.indexOf(first, i + 1)) {
    let match = true;
    for (let j = 1; j < needle.length; j++)
      if (haystack[i + j] !== needle[j]) {
        match = false;
        break;
      }
    if (match) return i;
  }
  return -1;
}

/** Next "--boundary" that starts a line (at `from` itself or right after a LF). */
function nextDelimiter(body: Uint8Array, delimiter: Uint8Array, from: number): number {
  for (let i = indexOfBytes(body, delimiter, from); i >= 0; i = indexOfBytes(body, delimiter, i + 1))
    if (i === 0 || body[i - 1] === 0x0a) return i;
  return -1;
}

function parsePartHeaders(bytes: Uint8Array): Record<string, string> {
  const headers: Record<string, string> = {};
  const lines = decodeUtf8Lenient(bytes).text.split(/\r?\n/);
  let current: string | undefined;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && current) headers[current] += " " + line.trim();
    else {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      current = line.slice(0, colon).trim().toLowerCase();
      headers[current] = line.slice(colon + 1).trim();
    }
  }
  return headers;
}

/**
 * Splits a multipart/form-data body into its parts. Tolerant (LF-only line breaks, missing closing delimiter,
 * a boundary missing from the Content-Type but evident from the first line); problems go to `warnings`.
 */
export function parseMultipartFormData(body: Uint8Array, contentType: string, warnings: string[]): FormPart[] {
  let boundary = boundaryOf(contentType);
  if (!boundary) {
    const firstLine = decodeUtf8Lenient(body.subarray(0, Math.min(body.length, 200))).text.split(/\r?\n/)[0];
    if (/^--\S+$/.test(firstLine)) {
      boundary = firstLine.slice(2);
      warnings.push("form body: no boundary in Content-Type; took it from the first line");
    } else {
      warnings.push(`form body: not multipart/form-data (Content-Type "${contentType.slice(0, 100)}")`);
      return [];
    }
  }
  const delimiter = new TextEncoder().encode(`--${boundary}`);
  const parts: FormPart[] = [];
  let position = nextDelimiter(body, delimiter, 0);
  if (position < 0) {
    warnings.push("form body: boundary never occurs");
    return [];
  }
  let closed = false;
  while (position >= 0) {
    if (parts.length >= MAX_FORM_PARTS) {
      warnings.push(`form body: more than ${MAX_FORM_PARTS} parts; the rest was not read`);
      closed = true;
      break;
    }
    let cursor = position + delimiter.length;
    if (body[cursor] === 0x2d && body[cursor + 1] === 0x2d) {
      closed = true;
      break;
    }
    const lineEnd = body.indexOf(0x0a, cursor);
    if (lineEnd < 0) break;
    cursor = lineEnd + 1;

    const next = nextDelimiter(body, delimiter, cursor);
    let end = next < 0 ? body.length : next;
    // The line break before a delimiter belongs to the delimiter, not to the content.
    if (next >= 0 && end > cursor && body[end - 1] === 0x0a) end -= end - 1 > cursor && body[end - 2] === 0x0d ? 2 : 1;
    const raw = body.subarray(cursor, Math.max(cursor, end));

    // Header block ends at the first empty line (a part may have none at all).
    let headerEnd = -1;
    let contentStart = raw.length;
    if (raw[0] === 0x0a || (raw[0] === 0x0d && raw[1] === 0x0a)) {
      headerEnd = 0;
      contentStart = raw[0] === 0x0a ? 1 : 2;
    } else
      for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) {
        if (raw[i + 1] === 0x0a || (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a)) {
          headerEnd = i;
          contentStart = raw[i + 1] === 0x0a ? i + 2 : i + 3;
          break;
        }
      }
    const headers = parsePartHeaders(raw.subarray(0, headerEnd < 0 ? raw.length : headerEnd));
    const disposition = headers["content-disposition"] ?? "";
    const params = headerParams(disposition);
    if (!/^\s*form-data\b/i.test(disposition) || params.name === undefined) {
      warnings.push("form body: skipped a part without a form-data name");
    } else {
      const contentTypeRaw = headers["content-type"];
      parts.push({
        name: params.name,
        ...(params.filename !== undefined ? { filename: params.filename } : {}),
        ...(contentTypeRaw
          ? { contentTypeRaw, contentType: contentTypeRaw.split(";")[0].trim().toLowerCase() }
          : {}),
        bytes: raw.subarray(contentStart),
      });
    }
    if (next < 0) break;
    position = next;
  }
  if (!closed) warnings.push("form body: no closing boundary (truncated?)");
  return parts;
}
