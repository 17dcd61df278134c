// The few header lines of a stored inbound mail worth keeping once its raw payload is dropped (retention, erasure).
import { parseMultipartFormData } from "@/lib/mail/inbound/form-data";
import { locateHeaderBlock, readHeaderFields } from "@/lib/mail/inbound/headers";

const KEPT = ["from", "to", "cc", "reply-to", "date", "subject", "message-id", "in-reply-to", "references", "auto-submitted"];
// A summary, not a copy: a 16 KB References list would keep most of what the purge is for.
const MAX_VALUE = 1000;

export type HeadersSummary = { name: string; value: string }[];

/** The header block of the stored request: the raw message ("Send Raw"), or the parsed mode's `headers` field. */
function headerBlock(payload: Uint8Array, contentType: string): Uint8Array | undefined {
  if (!/multipart\/form-data/i.test(contentType)) return payload;
  const parts = parseMultipartFormData(payload, contentType, []);
  return (parts.find((part) => part.name === "email" && !part.filename) ?? parts.find((part) => part.name === "headers" && !part.filename))?.bytes;
}

export async function headersSummary(payload: Uint8Array, contentType: string): Promise<HeadersSummary> {
  try {
    const bytes = headerBlock(payload, contentType);
    if (!bytes?.byteLength) return [];
    const warnings: string[] = [];
    const fields = await readHeaderFields(bytes, locateHeaderBlock(bytes, warnings), warnings);
    return fields.filter((field) => KEPT.includes(field.key)).map((field) => ({ name: field.key, value: field.value.slice(0, MAX_VALUE) }));
  } catch {
    // A payload the parsers cannot read still gets purged; the row's own columns (sender, subject) remain.
    return [];
  }
}
