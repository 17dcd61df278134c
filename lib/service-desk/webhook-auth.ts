// Authenticates SendGrid's Inbound Parse requests: the signed Security Policy when a public key is
// configured, else the shared secret as basic-auth password or `?token=`, compared in constant time.
import { verify } from "node:crypto";
import { sameSecret } from "@/lib/auth/secret";
import { env } from "@/lib/env";

export type AuthResult = { ok: true } | { ok: false; reason: string };

function basicPassword(header: string | null): string | undefined {
  if (!header?.toLowerCase().startsWith("basic ")) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/** SendGrid's signed-webhook check (Inbound Parse Security Policy and Event Webhook): ECDSA over timestamp + raw body. */
export function verifySignature(publicKeyBase64: string, timestamp: string, body: Uint8Array, signatureBase64: string): boolean {
  try {
    return verify(
      "sha256",
      Buffer.concat([Buffer.from(timestamp, "utf8"), body]),
      { key: Buffer.from(publicKeyBase64, "base64"), format: "der", type: "spki" },
      Buffer.from(signatureBase64, "base64"),
    );
  } catch {
    return false;
  }
}

export function authenticateInbound(request: Request, body: Uint8Array): AuthResult {
  const { SENDGRID_INBOUND_PUBLIC_KEY: publicKey, SENDGRID_INBOUND_SECRET: secret, isProduction } = env();
  if (publicKey) {
    const signature = request.headers.get("x-twilio-email-event-webhook-signature");
    const timestamp = request.headers.get("x-twilio-email-event-webhook-timestamp");
    if (!signature || !timestamp) return { ok: false, reason: "Missing SendGrid signature headers." };
    return verifySignature(publicKey, timestamp, body, signature) ? { ok: true } : { ok: false, reason: "Invalid SendGrid signature." };
  }
  if (secret) {
    const given = basicPassword(request.headers.get("authorization")) ?? new URL(request.url).searchParams.get("token") ?? "";
    return sameSecret(given, secret) ? { ok: true } : { ok: false, reason: "Missing or wrong inbound secret." };
  }
  // Development without a secret: open, so `mail:send` works out of the box. Production refuses to start.
  return isProduction ? { ok: false, reason: "Inbound webhook is not configured." } : { ok: true };
}
