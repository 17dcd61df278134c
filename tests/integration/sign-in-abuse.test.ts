// Sign-in cannot be abused: magic links are limited per address and per client, counted in the database; the
// sign-up policy (SIGNUP_POLICY, SIGNUP_ALLOWED_DOMAINS) refuses newcomers it does not let in; ADMIN_EMAILS
// become admins. Every link request gets the same answer, sent or not. Driven through next-auth's own handler
// (its API-route form, which needs no Next request scope) with the app's options, wrapped like
// app/api/auth/[...nextauth]/route.ts wraps it.
import NextAuth from "next-auth";
import { describe, expect, it } from "vitest";
import { authOptions } from "@/lib/auth/options";
import { LINKS_PER_ADDRESS_PER_HOUR, LINKS_PER_CLIENT_PER_HOUR, withSignInRequest } from "@/lib/auth/sign-in-guard";
import { addMember } from "@/lib/data/members";
import { createProject } from "@/lib/data/projects";
import { db } from "@/lib/db/client";
import { SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { makeUser, sleep, uid, uniqueEmail, uniqueProjectPath, withEnv } from "./helpers";

const APP = "http://localhost:3000";

interface Answer {
  status: number;
  location?: string;
  json?: unknown;
  setCookies: string[];
}

/** One request to /api/auth/<path> as next-auth's handler answers it. */
async function auth(
  method: "GET" | "POST",
  path: string,
  options: { body?: Record<string, string>; query?: Record<string, string>; cookies?: Record<string, string>; ip?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { host: "localhost:3000", ...(options.ip ? { "x-forwarded-for": `${options.ip}, 10.0.0.1` } : {}) };
  const req = { method, headers, body: options.body, cookies: options.cookies ?? {}, query: { ...options.query, nextauth: path.split("/") } };
  const answer: Answer = { status: 200, setCookies: [] };
  const sent = new Map<string, unknown>();
  const res = {
    status: (code: number) => ((answer.status = code), res),
    getHeader: (name: string) => sent.get(name.toLowerCase()),
    setHeader: (name: string, value: unknown) => (sent.set(name.toLowerCase(), value), res),
    end: () => undefined,
    json: (value: unknown) => void (answer.json = value),
    send: (value: unknown) => void (answer.json = value),
  };
  await withSignInRequest(new Headers(headers), () => NextAuth(req as never, res as never, authOptions()));
  answer.location = sent.get("location") as string | undefined;
  answer.setCookies = ((sent.get("set-cookie") as string[] | undefined) ?? []).map(String);
  return answer;
}

/** A browser that has fetched next-auth's CSRF token (as the sign-in form does before posting). */
async function browser() {
  const answer = await auth("GET", "csrf");
  const csrfToken = (answer.json as { csrfToken: string }).csrfToken;
  const cookie = answer.setCookies.find((c) => c.startsWith("next-auth.csrf-token="))!;
  const cookies = { "next-auth.csrf-token": decodeURIComponent(cookie.split(";")[0].split("=")[1]) };
  return {
    /** What the sign-in form posts (`json: "true"`, as next-auth/react's signIn does); `form: true` = without JavaScript. */
    requestLink: (email: string, ip: string, form = false) =>
      auth("POST", "signin/email", { body: { email, csrfToken, callbackUrl: `${APP}/`, ...(form ? {} : { json: "true" }) }, cookies, ip }),
  };
}

const randomIp = () => `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 254) + 1}`;

/** The answer every link request gets, sent or not. */
const CHECK_EMAIL = { status: 200, json: { url: `${APP}/api/auth/verify-request?provider=email&type=email` } };

async function linksTo(...addresses: string[]): Promise<number> {
  return db().outboundEmail.count({ where: { kind: "sign_in", to: { in: addresses } } });
}

/** The magic link of the last sign-in mail to `email` (the dev mailbox keeps it: no SendGrid key in tests). */
async function lastLink(email: string): Promise<URL> {
  const mail = await db().outboundEmail.findFirstOrThrow({ where: { kind: "sign_in", to: email }, orderBy: { createdAt: "desc" } });
  return new URL(mail.text.match(/https?:\/\/\S+\/api\/auth\/callback\/email\S+/)![0]);
}

/** Follows a magic link; returns where next-auth sends the browser and whether it set a session. */
async function follow(link: URL) {
  const answer = await auth("GET", "callback/email", { query: Object.fromEntries(link.searchParams) });
  return { location: answer.location, session: answer.setCookies.some((c) => c.startsWith("next-auth.session-token=")) };
}

/** Counters are per clock hour: start a burst with time to spare before the next hour begins. */
async function awayFromHourEdge(spareMs = 45_000) {
  const left = 3_600_000 - (Date.now() % 3_600_000);
  if (left < spareMs) await sleep(left + 250);
}

describe("sign-in links are limited", () => {
  it(`30 requests for one address (from 30 clients) send ${LINKS_PER_ADDRESS_PER_HOUR} mails; every answer is the same`, async () => {
    await awayFromHourEdge();
    const { requestLink } = await browser();
    const email = uniqueEmail("flooded");
    const answers = [];
    for (let i = 0; i < 30; i++) answers.push(await requestLink(email, randomIp()));
    expect(await linksTo(email)).toBe(LINKS_PER_ADDRESS_PER_HOUR);
    for (const answer of answers) expect(answer).toEqual({ ...answers[0], ...CHECK_EMAIL });
    // Sub-addresses reach the same mailbox: they share its count.
    const plus = email.replace("@", "+again@");
    await requestLink(plus, randomIp());
    expect(await linksTo(plus)).toBe(0);
  });

  it(`100 requests from one client (100 addresses) send ${LINKS_PER_CLIENT_PER_HOUR} mails; every answer is the same`, async () => {
    await awayFromHourEdge();
    const { requestLink } = await browser();
    const ip = randomIp();
    const addresses = Array.from({ length: 100 }, () => uniqueEmail("sprayed"));
    const answers = [];
    for (const email of addresses) answers.push(await requestLink(email, ip));
    expect(await linksTo(...addresses)).toBe(LINKS_PER_CLIENT_PER_HOUR);
    // The first ones were sent, the rest not: the answers do not tell them apart.
    expect(await linksTo(...addresses.slice(0, LINKS_PER_CLIENT_PER_HOUR))).toBe(LINKS_PER_CLIENT_PER_HOUR);
    for (const answer of answers) expect(answer).toEqual({ ...answers[0], ...CHECK_EMAIL });
    // Another client is not affected.
    const other = uniqueEmail("neighbour");
    await requestLink(other, randomIp());
    expect(await linksTo(other)).toBe(1);
  });

  it("a refused request writes no token either, and without JavaScript it is the same redirect", async () => {
    await awayFromHourEdge();
    const { requestLink } = await browser();
    const email = uniqueEmail("tokens");
    const ip = randomIp();
    const answers = [];
    for (let i = 0; i < LINKS_PER_ADDRESS_PER_HOUR + 3; i++) answers.push(await requestLink(email, ip, true));
    expect(await db().verificationToken.count({ where: { identifier: email } })).toBe(LINKS_PER_ADDRESS_PER_HOUR);
    for (const answer of answers) expect(answer).toEqual({ ...answers[0], status: 302, location: `${APP}/api/auth/verify-request?provider=email&type=email` });
  });
});

describe("SIGNUP_POLICY=invite", () => {
  withEnv({ SIGNUP_POLICY: "invite", SIGNUP_ALLOWED_DOMAINS: undefined, ADMIN_EMAILS: undefined });

  it("refuses strangers with the same answer and no mail; existing and invited users get their link and sign in", async () => {
    const { requestLink } = await browser();
    const existing = await makeUser("existing");
    const owner = await makeUser("owner");
    const project = await createProject(owner, uniqueProjectPath());
    const invited = uniqueEmail("invited");
    await addMember(owner, project.fullPath, invited, "DEVELOPER");
    const stranger = uniqueEmail("stranger");
    const bot = (await db().user.findUniqueOrThrow({ where: { id: SUPPORT_BOT_ID } })).email;

    const answers = [];
    for (const email of [existing.email, invited, stranger, bot, existing.email.toUpperCase()]) answers.push(await requestLink(email, randomIp()));
    for (const answer of answers) expect(answer).toEqual({ ...answers[0], ...CHECK_EMAIL });
    expect(await linksTo(stranger)).toBe(0);
    expect(await linksTo(bot)).toBe(0);
    expect(await linksTo(existing.email)).toBe(2);
    expect(await linksTo(invited)).toBe(1);

    const signedIn = await follow(await lastLink(invited));
    expect(signedIn).toEqual({ location: `${APP}/`, session: true });
  });

  it("refuses an OAuth newcomer, lets a linked OAuth account in", async () => {
    const signIn = authOptions().callbacks!.signIn!;
    const oauth = (providerAccountId: string) => ({ provider: "github", type: "oauth" as const, providerAccountId });
    const newcomer = { id: "4242", email: uniqueEmail("octocat"), name: "Octocat" };
    expect(await signIn({ user: newcomer, account: oauth(`gh-${uid()}`), profile: {} })).toBe(false);

    const user = await makeUser("linked");
    const accountId = `gh-${uid()}`;
    await db().account.create({ data: { userId: user.id, type: "oauth", provider: "github", providerAccountId: accountId } });
    expect(await signIn({ user: { ...user, emailVerified: null }, account: oauth(accountId), profile: {} })).toBe(true);
  });
});

describe("SIGNUP_POLICY=domains", () => {
  withEnv({ SIGNUP_POLICY: "domains", SIGNUP_ALLOWED_DOMAINS: "allowed.test, @Also-Allowed.test", ADMIN_EMAILS: undefined });

  it("lets in newcomers of the listed domains only; existing users of any domain still sign in", async () => {
    const { requestLink } = await browser();
    const existing = await makeUser("elsewhere");
    const insider = `in-${uid()}@allowed.test`;
    const second = `in-${uid()}@also-allowed.test`;
    const outsider = `out-${uid()}@elsewhere.test`;
    const subdomain = `sub-${uid()}@mail.allowed.test`;
    const lookalike = `look-${uid()}@notallowed.test`;

    const answers = [];
    for (const email of [insider, second, outsider, subdomain, lookalike, existing.email]) answers.push(await requestLink(email, randomIp()));
    for (const answer of answers) expect(answer).toEqual({ ...answers[0], ...CHECK_EMAIL });
    expect(await linksTo(insider)).toBe(1);
    expect(await linksTo(second)).toBe(1);
    expect(await linksTo(outsider, subdomain, lookalike)).toBe(0);
    expect(await linksTo(existing.email)).toBe(1);

    const signedIn = await follow(await lastLink(insider));
    expect(signedIn.session).toBe(true);
    expect(await db().user.findUnique({ where: { email: insider }, select: { isAdmin: true } })).toEqual({ isAdmin: false });
  });

  it("an OAuth newcomer cannot pass for an allowed domain (the provider's address is not proven)", async () => {
    const signIn = authOptions().callbacks!.signIn!;
    const account = { provider: "github", type: "oauth" as const, providerAccountId: `gh-${uid()}` };
    expect(await signIn({ user: { id: "1", email: `gh-${uid()}@allowed.test` }, account, profile: {} })).toBe(false);
  });
});

describe("SIGNUP_POLICY=open (the default)", () => {
  withEnv({ SIGNUP_POLICY: undefined, SIGNUP_ALLOWED_DOMAINS: undefined, ADMIN_EMAILS: undefined });

  it("lets anyone sign up, by link or OAuth, but never a bot", async () => {
    const { requestLink } = await browser();
    const newcomer = uniqueEmail("anyone");
    expect(await requestLink(newcomer, randomIp())).toMatchObject(CHECK_EMAIL);
    expect(await linksTo(newcomer)).toBe(1);
    expect(await follow(await lastLink(newcomer))).toEqual({ location: `${APP}/`, session: true });

    const signIn = authOptions().callbacks!.signIn!;
    const account = { provider: "gitlab", type: "oauth" as const, providerAccountId: `gl-${uid()}` };
    expect(await signIn({ user: { id: "7", email: uniqueEmail("tanuki") }, account, profile: {} })).toBe(true);
    const bot = await db().user.findUniqueOrThrow({ where: { id: SUPPORT_BOT_ID } });
    expect(await signIn({ user: { ...bot }, account: { provider: "email", type: "email", providerAccountId: bot.email } })).toBe(false);
  });
});

describe("ADMIN_EMAILS", () => {
  const newAdmin = uniqueEmail("new-admin");
  const promoted = uniqueEmail("promoted");
  withEnv({ SIGNUP_POLICY: "invite", SIGNUP_ALLOWED_DOMAINS: undefined, ADMIN_EMAILS: ` ${newAdmin.toUpperCase()}, ${promoted}` });

  it("may sign up whatever the policy, and becomes an instance admin by signing in with the link", async () => {
    const { requestLink } = await browser();
    expect(await requestLink(newAdmin, randomIp())).toMatchObject(CHECK_EMAIL);
    expect(await follow(await lastLink(newAdmin))).toEqual({ location: `${APP}/`, session: true });
    expect(await db().user.findUnique({ where: { email: newAdmin }, select: { isAdmin: true } })).toEqual({ isAdmin: true });
  });

  it("promotes an existing user at their next sign-in, and no one else", async () => {
    const { requestLink } = await browser();
    const existing = await db().user.create({ data: { email: promoted, username: `promoted-${uid()}` } });
    const other = await makeUser("not-listed");
    for (const email of [promoted, other.email]) {
      await requestLink(email, randomIp());
      expect((await follow(await lastLink(email))).session).toBe(true);
    }
    expect(await db().user.findUnique({ where: { id: existing.id }, select: { isAdmin: true } })).toEqual({ isAdmin: true });
    expect(await db().user.findUnique({ where: { id: other.id }, select: { isAdmin: true } })).toEqual({ isAdmin: false });
  });
});
