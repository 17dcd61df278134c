// The token in a team notification's List-Unsubscribe link: which member and which issue, signed with a key
// derived from AUTH_SECRET, so "stop these for this issue" needs no sign-in (mail clients post it one-click)
// and cannot be forged for someone else.
import { createHmac, timingSafeEqual } from "node:crypto";
import { env } from "@/lib/env";

const sign = (payload: string) => createHmac("sha256", env().AUTH_SECRET).update(`team-unsubscribe:${payload}`).digest("base64url").slice(0, 32);

export function teamUnsubscribeToken(userId: string, issueId: number): string {
  const payload = Buffer.from(`${userId}:${issueId}`).toString("base64url");
  return `${payload}.${sign(payload)}`;
}

export function readTeamUnsubscribeToken(token: string): { userId: string; issueId: number } | null {
  const [payload, mac] = token.split(".");
  if (!payload || !mac) return null;
  const expected = Buffer.from(sign(payload));
  const given = Buffer.from(mac);
  // Bytes, not characters: a signature of non-ASCII characters must not reach timingSafeEqual unequal in length.
  if (given.length !== expected.length || !timingSafeEqual(expected, given)) return null;
  const [userId, issue] = Buffer.from(payload, "base64url").toString("utf8").split(":");
  const issueId = Number(issue);
  return userId && Number.isInteger(issueId) && issueId > 0 ? { userId, issueId } : null;
}

export function teamUnsubscribeUrl(userId: string, issueId: number): string {
  return `${env().APP_URL}/notifications/unsubscribe/${teamUnsubscribeToken(userId, issueId)}`;
}
