// Webhook secrets of linked repositories: generated, sealed at rest with a key derived from AUTH_SECRET, and
// checked in constant time (GitHub: HMAC-SHA256 of the raw body; GitLab: the token as sent).
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { sameSecret } from "@/lib/auth/secret";
import { env } from "@/lib/env";

/** A fresh secret: 32 random bytes, hex (GitLab's token field takes up to 255 characters). */
export function generateWebhookSecret(): string {
  return randomBytes(32).toString("hex");
}

function sealingKey(): Buffer {
  return Buffer.from(hkdfSync("sha256", env().AUTH_SECRET, "service-desk", "code-host-webhook-secret", 32));
}

/** `v1.<iv>.<tag>.<ciphertext>` (base64url), AES-256-GCM. */
export function sealSecret(secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(), iv);
  const data = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), data].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(".");
}

/** The secret, or null when it cannot be opened (AUTH_SECRET changed since): every delivery is then refused. */
export function openSecret(sealed: string): string | null {
  const [version, iv, tag, data] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || data === undefined) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", sealingKey(), Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}

/** GitHub's `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256(secret, raw body). */
export function githubSignature(secret: string, body: Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export function verifyGitHubSignature(secret: string, body: Uint8Array, header: string | null): boolean {
  if (!header) return false;
  const expected = Buffer.from(githubSignature(secret, body));
  const given = Buffer.from(header.trim().toLowerCase());
  // Lengths are public (a fixed format); only equal-length buffers can be compared in constant time.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function verifyGitLabToken(secret: string, header: string | null): boolean {
  return !!header && sameSecret(header, secret);
}
