// Who may sign in, and how often a sign-in link may be mailed. The sign-up policy (SIGNUP_POLICY,
// SIGNUP_ALLOWED_DOMAINS, ADMIN_EMAILS) decides who may create an account; existing users, and addresses
// invited as members (addMember made their user row), always may sign in. Links are limited per address and
// per client IP, counted in the database so every instance shares the counts.
//
// A refused or limited link request is answered exactly like a served one ("check your email") and only
// sends nothing, so the sign-in form tells no one which addresses have an account.
import { AsyncLocalStorage } from "node:async_hooks";
import { isIP } from "node:net";
import { db } from "@/lib/db/client";
import { env } from "@/lib/env";
import { hitRateLimit } from "@/lib/rate-limit";

export const LINKS_PER_ADDRESS_PER_HOUR = 5;
export const LINKS_PER_CLIENT_PER_HOUR = 30;
const HOUR_MS = 60 * 60_000;

/**
 * Who sent the request, as a rate-limit bucket: the first X-Forwarded-For entry, else X-Real-IP (next start
 * sets X-Forwarded-For to the socket's address when no proxy did; Vercel sets both). IPv6 clients count per
 * /64, since one host usually holds a whole /64. Missing → "unknown", not an address → "invalid": each one
 * shared bucket, so leaving the header out or garbling it does not buy a fresh count.
 */
export function clientIp(headers: Headers): string {
  const raw = headers.get("x-forwarded-for")?.split(",")[0]?.trim() || headers.get("x-real-ip")?.trim();
  if (!raw) return "unknown";
  // "[2001:db8::1]:443" and "203.0.113.7:5678" (some proxies add the port); "fe80::1%eth0" (a zone).
  const ip = (raw.match(/^\[([^\]]+)\](?::\d+)?$/)?.[1] ?? raw.match(/^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/)?.[1] ?? raw)
    .replace(/%.*$/, "")
    .replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");
  const version = isIP(ip);
  if (version === 4) return ip;
  if (version === 6) return ipv6Prefix64(ip.toLowerCase());
  return "invalid";
}

function ipv6Prefix64(ip: string): string {
  const [head, tail] = ip.split("::");
  const first = head ? head.split(":") : [];
  const last = tail ? tail.split(":") : [];
  const groups = tail === undefined ? first : [...first, ...Array<string>(Math.max(0, 8 - first.length - last.length)).fill("0"), ...last];
  return `${groups.slice(0, 4).map((g) => g.padStart(4, "0")).join(":")}::/64`;
}

/** The client of the request being handled, and what was decided for each address asked about in it. */
interface SignInRequest {
  ip: string;
  links: Map<string, Promise<LinkVerdict>>;
}

const currentRequest = new AsyncLocalStorage<SignInRequest>();

/** Runs next-auth's handling of one request with its client known (app/api/auth/[...nextauth]/route.ts). */
export function withSignInRequest<T>(headers: Headers, handle: () => Promise<T>): Promise<T> {
  return currentRequest.run({ ip: clientIp(headers), links: new Map() }, handle);
}

/** Whether a new account may be made for this (lower-case) address, under the sign-up policy. */
export function maySignUp(email: string): boolean {
  const config = env();
  if (config.ADMIN_EMAILS.includes(email)) return true;
  switch (config.SIGNUP_POLICY) {
    case "open":
      return true;
    case "domains":
      return config.SIGNUP_ALLOWED_DOMAINS.includes(email.slice(email.lastIndexOf("@") + 1));
    case "invite":
      return false;
  }
}

/**
 * Whether this address may sign in: an existing user (one invited as a member has a user row already) unless
 * a bot, else whoever the sign-up policy lets in. For OAuth, pass `account`: a linked account is its user.
 */
export async function maySignIn(email: string | null | undefined, account?: { provider: string; providerAccountId: string }): Promise<boolean> {
  const address = email?.trim().toLowerCase() || undefined;
  const linked = account
    ? await db().account.findUnique({ where: { provider_providerAccountId: account }, select: { user: { select: { isBot: true } } } })
    : null;
  const user = linked?.user ?? (address ? await db().user.findUnique({ where: { email: address }, select: { isBot: true } }) : null);
  if (user) return !user.isBot;
  // A new account through OAuth only where anyone may sign up: the provider's address is not proven (GitHub
  // hands over an unverified primary address), so it cannot pass for an allowed domain or an admin.
  if (account) return env().SIGNUP_POLICY === "open";
  return address !== undefined && maySignUp(address);
}

/** What becomes of a request for a sign-in link: sent, or answered the same and nothing sent. */
export type LinkVerdict = "send" | "refused" | "limited";

/**
 * Decides a sign-in link request for `email` (as next-auth normalised it), once per request: next-auth asks
 * twice — before mailing the link and before storing its token — and both get this one answer, counted once.
 * Every request counts against its client; only those the policy lets through count against the address.
 */
export function signInLinkVerdict(email: string): Promise<LinkVerdict> {
  const request = currentRequest.getStore();
  if (!request) throw new Error("A sign-in link was requested outside withSignInRequest(): its client is unknown, so it cannot be limited.");
  let verdict = request.links.get(email);
  if (!verdict) {
    verdict = decide(email, request.ip);
    request.links.set(email, verdict);
  }
  return verdict;
}

/** The address a mailbox delivers to, as far as it can be told: "alice+1@x" and "alice+2@x" share a count. */
function mailboxKey(email: string): string {
  const at = email.lastIndexOf("@");
  return `${email.slice(0, at).replace(/\+.*$/, "")}${email.slice(at)}`;
}

async function decide(email: string, ip: string): Promise<LinkVerdict> {
  // One log line when a count first goes over its limit, not one per request beyond it.
  const perClient = await hitRateLimit(`sign-in-link:ip:${ip}`, HOUR_MS);
  if (perClient > LINKS_PER_CLIENT_PER_HOUR) {
    if (perClient === LINKS_PER_CLIENT_PER_HOUR + 1)
      console.warn(`sign-in links: client ${ip} asked for more than ${LINKS_PER_CLIENT_PER_HOUR} this hour; sending it no more until the hour is over`);
    return "limited";
  }
  if (!(await maySignIn(email))) return "refused";
  const perAddress = await hitRateLimit(`sign-in-link:email:${mailboxKey(email)}`, HOUR_MS);
  if (perAddress > LINKS_PER_ADDRESS_PER_HOUR) {
    if (perAddress === LINKS_PER_ADDRESS_PER_HOUR + 1)
      console.warn(`sign-in links: more than ${LINKS_PER_ADDRESS_PER_HOUR} asked for ${email} this hour; sending no more until the hour is over`);
    return "limited";
  }
  return "send";
}
