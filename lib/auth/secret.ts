// Constant-time checks of shared secrets (webhook secret, CRON_SECRET bearer), so timing reveals nothing.
import { createHash, timingSafeEqual } from "node:crypto";

export function sameSecret(given: string, expected: string): boolean {
  // Hashing first makes the comparison independent of both lengths.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Whether the request carries `Authorization: Bearer <expected>`; never true when nothing is expected. */
export function hasBearer(request: Request, expected: string | undefined): boolean {
  if (!expected) return false;
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return !!match && sameSecret(match[1], expected);
}
