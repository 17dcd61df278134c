// Personal access tokens for the REST API: create (the secret is returned once), list, revoke, and resolve a
// presented token to its user. Only the SHA-256 of a token is stored.
import { createHash, randomBytes } from "node:crypto";
import type { Actor } from "@/lib/auth/actor";
import { actorSelect } from "@/lib/auth/actor";
import { db } from "@/lib/db/client";
import { AppError, notFound } from "@/lib/errors";
import { createAccessTokenSchema, tokenExpiry, type CreateAccessTokenInput } from "@/lib/schemas";
import { fieldErrorsOf } from "./validation";

// Recognisable prefix (like GitLab's glpat-) so secret scanners and people can tell what leaked.
export const TOKEN_PREFIX = "sdpat-";
// last_used_at is written at most this often per token: an API client must not cost a write per request.
const LAST_USED_GRANULARITY_MS = 60_000;

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export type TokenScope = "api" | "read_api";

export async function createAccessToken(actor: Actor | null, input: CreateAccessTokenInput) {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  const parsed = createAccessTokenSchema.safeParse(input);
  if (!parsed.success) throw new AppError("bad_request", "Check the highlighted fields.", fieldErrorsOf(parsed.error));
  const token = TOKEN_PREFIX + randomBytes(24).toString("base64url");
  const row = await db().personalAccessToken.create({
    data: {
      userId: actor.id,
      name: parsed.data.name,
      scopes: [...new Set(parsed.data.scopes)],
      expiresAt: tokenExpiry(parsed.data.expiresAt) ?? null,
      tokenHash: hashToken(token),
      tokenStart: token.slice(0, TOKEN_PREFIX.length + 4),
    },
    select: { id: true, name: true, scopes: true, expiresAt: true },
  });
  return { ...row, token };
}

export async function listAccessTokens(actor: Actor | null) {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  return db().personalAccessToken.findMany({
    where: { userId: actor.id },
    orderBy: [{ revokedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
    select: { id: true, name: true, tokenStart: true, scopes: true, expiresAt: true, revokedAt: true, lastUsedAt: true, createdAt: true },
  });
}

/** Revokes one of the actor's own tokens (someone else's is 404). */
export async function revokeAccessToken(actor: Actor | null, id: number) {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  const { count } = await db().personalAccessToken.updateMany({ where: { id, userId: actor.id, revokedAt: null }, data: { revokedAt: new Date() } });
  if (count === 0) {
    const exists = await db().personalAccessToken.findFirst({ where: { id, userId: actor.id }, select: { id: true } });
    if (!exists) throw notFound("Token");
  }
  return { id };
}

export interface TokenIdentity {
  actor: Actor;
  tokenId: number;
  scopes: TokenScope[];
}

/** The user behind a presented token, or null when it is unknown, revoked, expired, or its user cannot act. */
export async function authenticateAccessToken(token: string, now = new Date()): Promise<TokenIdentity | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const row = await db().personalAccessToken.findUnique({
    where: { tokenHash: hashToken(token) },
    select: { id: true, scopes: true, expiresAt: true, revokedAt: true, lastUsedAt: true, user: { select: { ...actorSelect, isBot: true } } },
  });
  if (!row) return null;
  const { isBot, ...actor } = row.user;
  if (row.revokedAt || (row.expiresAt && row.expiresAt <= now) || isBot) return null;
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS)
    await db().personalAccessToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  return { actor, tokenId: row.id, scopes: row.scopes.filter((s): s is TokenScope => s === "api" || s === "read_api") };
}
