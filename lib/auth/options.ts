// next-auth configuration: magic-link sign-in through the app's own mail path, plus GitHub/GitLab OAuth
// when their variables are set. Sessions live in the database so any number of instances share them.
// Who may sign in and how many links are mailed: ./sign-in-guard.ts.
import { PrismaAdapter } from "@next-auth/prisma-adapter";
import type { Adapter, AdapterUser } from "next-auth/adapters";
import type { NextAuthOptions } from "next-auth";
import type { EmailConfig } from "next-auth/providers/email";
import GitHubProvider from "next-auth/providers/github";
import GitLabProvider from "next-auth/providers/gitlab";
import { db } from "@/lib/db/client";
import { createUser, grantListedAdmin } from "@/lib/data/users";
import { env } from "@/lib/env";
import { escapeHtml, sendMail } from "@/lib/mail/send-mail";
import { maySignIn, signInLinkVerdict } from "./sign-in-guard";

const SIGN_IN_LINK_MINUTES = 30;

async function sendSignInLink({ identifier, url }: { identifier: string; url: string }) {
  // Refused or over a limit: next-auth still answers "check your email", and nothing is sent.
  if ((await signInLinkVerdict(identifier)) !== "send") return;
  const host = new URL(url).host;
  const result = await sendMail({
    kind: "sign_in",
    to: identifier,
    subject: `Sign in to Service Desk`,
    text: `Sign in to Service Desk (${host}):\n\n${url}\n\nThe link works once and expires in ${SIGN_IN_LINK_MINUTES} minutes. If you did not ask for it, ignore this mail.\n`,
    html:
      `<p>Sign in to Service Desk (${escapeHtml(host)}):</p>` +
      `<p><a href="${escapeHtml(url)}" style="display:inline-block;padding:10px 16px;background:#4f46e5;color:#fff;border-radius:6px;text-decoration:none">Sign in</a></p>` +
      `<p style="color:#666">The link works once and expires in ${SIGN_IN_LINK_MINUTES} minutes. If you did not ask for it, ignore this mail.</p>`,
    headers: { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All" },
    sensitive: true,
  });
  // next-auth shows its error page when this throws; the user can simply try again.
  if (result.status === "failed") throw new Error(`Could not send the sign-in email: ${result.error}`);
}

const emailProvider: EmailConfig = {
  id: "email",
  type: "email",
  name: "Email",
  // Unused: sendVerificationRequest below sends through the app's mail path, not nodemailer.
  server: "",
  from: "",
  maxAge: SIGN_IN_LINK_MINUTES * 60,
  options: {},
  normalizeIdentifier: (identifier) => identifier.trim().toLowerCase(),
  sendVerificationRequest: sendSignInLink,
};

function adapter(): Adapter {
  const base = PrismaAdapter(db());
  return {
    ...base,
    // Our users need a unique username, which the stock adapter does not set.
    createUser: async (data: Omit<AdapterUser, "id">) => (await createUser(data)) as unknown as AdapterUser,
    // A link that is not sent needs no token either (so a flood of requests writes no rows).
    createVerificationToken: async (token) =>
      (await signInLinkVerdict(token.identifier)) === "send" ? base.createVerificationToken!(token) : null,
  };
}

/** Which sign-in methods this instance offers (the sign-in page shows these). */
export function signInProviders(): { id: string; name: string }[] {
  const config = env();
  return [
    { id: "email", name: "Email" },
    ...(config.GITHUB_ID && config.GITHUB_SECRET ? [{ id: "github", name: "GitHub" }] : []),
    ...(config.GITLAB_ID && config.GITLAB_SECRET ? [{ id: "gitlab", name: "GitLab" }] : []),
  ];
}

let cached: NextAuthOptions | undefined;

export function authOptions(): NextAuthOptions {
  if (cached) return cached;
  const config = env();
  cached = {
    adapter: adapter(),
    secret: config.AUTH_SECRET,
    session: { strategy: "database", maxAge: 30 * 24 * 60 * 60 },
    providers: [
      emailProvider,
      ...(config.GITHUB_ID && config.GITHUB_SECRET
        ? [GitHubProvider({ clientId: config.GITHUB_ID, clientSecret: config.GITHUB_SECRET })]
        : []),
      ...(config.GITLAB_ID && config.GITLAB_SECRET
        ? [GitLabProvider({ clientId: config.GITLAB_ID, clientSecret: config.GITLAB_SECRET })]
        : []),
    ],
    pages: { signIn: "/sign-in", verifyRequest: "/sign-in/check-email", error: "/sign-in" },
    callbacks: {
      // A link request is always let through here, so that every one gets the same answer; whether a mail
      // leaves is signInLinkVerdict's decision. Following the link, and OAuth, are decided here: bots never,
      // existing and invited users always, newcomers by the sign-up policy.
      signIn: async ({ user, account, email }) =>
        email?.verificationRequest === true ||
        maySignIn(user.email, account?.type === "oauth" ? { provider: account.provider, providerAccountId: account.providerAccountId } : undefined),
      session: async ({ session, user }) => ({ ...session, user: { ...session.user, id: user.id } }),
    },
    events: {
      // ADMIN_EMAILS become instance admins by signing in with the email link (which proves the address).
      signIn: async ({ user, account }) => {
        if (account?.type === "email") await grantListedAdmin(user);
      },
    },
  };
  return cached;
}
