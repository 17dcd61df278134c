// The SendGrid transport: the real @sendgrid/mail client, aimed at SENDGRID_API_BASE_URL (tests use a local server).
import { Client } from "@sendgrid/client";
import sgMail from "@sendgrid/mail";
import { env } from "@/lib/env";

export interface SendGridMessage {
  to: string;
  from: { email: string; name?: string };
  replyTo?: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  customArgs?: Record<string, string>;
}

let configured: { key: string; base: string; timeout: number } | undefined;

function client(): typeof sgMail {
  const { SENDGRID_API_KEY: key, SENDGRID_API_BASE_URL: base, SENDGRID_TIMEOUT_MS: timeout } = env();
  if (!key) throw new Error("SENDGRID_API_KEY is not set.");
  if (configured?.key !== key || configured.base !== base || configured.timeout !== timeout) {
    // setApiKey resets the base URL, so the base URL must be set after it (STACK-NOTES).
    const sgClient = new Client();
    sgMail.setClient(sgClient);
    sgMail.setApiKey(key);
    sgClient.setDefaultRequest("baseUrl", base);
    // A hung connection must not hold an outbox claim forever: give up, and the row is retried later.
    // (The SDK passes unknown default-request keys through to axios; its types only list the documented ones.)
    sgClient.setDefaultRequest({ timeout } as unknown as Parameters<Client["setDefaultRequest"]>[0]);
    configured = { key, base, timeout };
  }
  return sgMail;
}

/** Sends one message; resolves with SendGrid's X-Message-Id, rejects with the SDK's ResponseError. */
export async function sendViaSendGrid(message: SendGridMessage): Promise<string | undefined> {
  const [response] = await client().send({
    to: message.to,
    from: message.from,
    replyTo: message.replyTo,
    subject: message.subject,
    text: message.text,
    html: message.html,
    headers: message.headers,
    customArgs: message.customArgs,
  });
  const id = response.headers["x-message-id"];
  return Array.isArray(id) ? id[0] : id;
}

/** A readable one-line reason from an SDK error (status + SendGrid's messages). */
export function describeSendGridError(error: unknown): string {
  const e = error as { code?: number; message?: string; response?: { body?: { errors?: { message?: string }[] } } };
  const details = e.response?.body?.errors?.map((x) => x.message).filter(Boolean).join("; ");
  return [e.code ? `SendGrid ${e.code}` : undefined, details || e.message].filter(Boolean).join(": ");
}

/** When SendGrid says a rate-limited request may be repeated (X-RateLimit-Reset, Unix seconds), if it said. */
export function rateLimitResetAt(error: unknown): Date | undefined {
  const e = error as { code?: number; response?: { headers?: Record<string, unknown> } };
  if (e.code !== 429) return undefined;
  const raw = e.response?.headers?.["x-ratelimit-reset"];
  const seconds = Number(Array.isArray(raw) ? raw[0] : raw);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : undefined;
}
