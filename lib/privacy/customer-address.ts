// The customer address an export or erasure is about: validated, lower-cased, its stable pseudonym, and the
// patterns that find it in stored text. Instance admins only.
import { createHmac } from "node:crypto";
import { z } from "zod";
import type { Actor } from "@/lib/auth/actor";
import { env } from "@/lib/env";
import { AppError, notFound } from "@/lib/errors";

const addressSchema = z.email();

/** 404 for anyone but an instance admin, like the other admin API routes. */
export function requireInstanceAdmin(actor: Actor | null): asserts actor is Actor {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  if (!actor.isAdmin) throw notFound();
}

export function customerAddress(input: string): string {
  let value = input.trim();
  // Route params may arrive percent-encoded (`jake%40customer.example`).
  try {
    value = decodeURIComponent(value);
  } catch {
    // not encoded
  }
  const parsed = addressSchema.safeParse(value.toLowerCase());
  if (!parsed.success) throw new AppError("bad_request", `"${input}" is not an email address.`, { email: "Enter an email address." });
  return parsed.data;
}

/**
 * `erased-<hmac>@erased.invalid`: the same for the same address on this instance (AUTH_SECRET keys it), so an
 * erased customer's issues still read as one person's and a second erasure finds its own earlier audit entry;
 * without the secret the address cannot be recovered or tested against it. `.invalid` never delivers.
 */
export function pseudonymFor(address: string): string {
  const digest = createHmac("sha256", env().AUTH_SECRET).update(`customer-erasure:${address}`).digest("hex").slice(0, 20);
  return `erased-${digest}@erased.invalid`;
}

// Postgres ARE: a backslash before ASCII punctuation makes it literal (before letters it would be an escape).
const escapeRegex = (text: string) => text.replace(/[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/g, "\\$&");

/** The address as a whole address only: not inside `ajake@x.com` or `jake@x.com.evil`. */
export function addressPattern(address: string): string {
  return `(?<![a-z0-9._%+-])${escapeRegex(address)}(?![a-z0-9-]|\\.[a-z0-9])`;
}

/**
 * What an erasure replaces: `Display Name <address>` (also quoted, also inside JSON text) for the names the
 * customer's own mail gave, the bare address, and a name of two or more words on its own ("Jake Miller" in a
 * team note). A one-word name alone is left: "Jake" is too likely to be someone else too.
 */
export function replacementPattern(address: string, names: string[]): string {
  const bare = addressPattern(address);
  const usable = [...new Set(names.map((name) => name.trim().replace(/\s+/g, " ")).filter((name) => name.length >= 2))];
  if (!usable.length) return bare;
  const escaped = usable.map(escapeRegex);
  const named = escaped.map((name) => `\\\\"${name}\\\\"|"${name}"|${name}`).join("|");
  // ARE word boundaries (\m, \M); an alternation takes the longest match, so `Name <address>` goes whole.
  const alone = usable.filter((name) => /\S\s+\S/.test(name)).map((name) => `\\m${escapeRegex(name)}\\M`);
  return [`(?:(?:${named})\\s*)?<${escapeRegex(address)}>`, bare, ...alone].join("|");
}

/** The sign-in guard counts per mailbox (`alice+1@x` as `alice@x`): that key form too. */
export function mailboxForm(address: string): string {
  const at = address.lastIndexOf("@");
  return `${address.slice(0, at).replace(/\+.*$/, "")}${address.slice(at)}`;
}
