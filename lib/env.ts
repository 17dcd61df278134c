// The one place that reads process.env: every variable of DESIGN.md, validated once with zod.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

// Yes/no switches: true/false, 1/0, yes/no, on/off; empty counts as unset.
const flag = optional.pipe(
  z
    .enum(["true", "false", "1", "0", "yes", "no", "on", "off"], { error: "must be true or false" })
    .transform((v) => ["true", "1", "yes", "on"].includes(v))
    .optional(),
);

// Numbers where an empty value (`IMAP_PORT=` in a copied .env) means unset, not 0.
const blankAsUnset = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const seconds = (fallback: number) => z.preprocess(blankAsUnset, z.coerce.number().int().min(1).max(86_400).default(fallback));

// Comma-separated lists (ADMIN_EMAILS, SIGNUP_ALLOWED_DOMAINS): trimmed, lower-cased, empty entries dropped.
const commaList = (entry: z.ZodType<string, string>) =>
  optional.transform((v) => (v ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean)).pipe(z.array(entry));
const domainName = z
  .string()
  .transform((v) => v.replace(/^@/, ""))
  .pipe(z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, "must be comma-separated domain names, e.g. example.com,example.org"));

const addressPattern = z
  .string()
  .refine((v) => v.includes("%{key}") && /@/.test(v), "must contain %{key} and an @, e.g. incoming+%{key}@example.com");

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: optional.pipe(
    z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL").optional(),
  ),
  PGLITE_DATA_DIR: z.string().default(".data/pglite"),
  APP_URL: z.url().default("http://localhost:3000").transform((v) => v.replace(/\/+$/, "")),
  AUTH_SECRET: optional,
  INCOMING_EMAIL_ADDRESS: addressPattern.default("incoming+%{key}@localhost"),
  SERVICE_DESK_EMAIL_ADDRESS: optional.pipe(addressPattern.optional()),
  SENDGRID_API_KEY: optional,
  SENDGRID_API_BASE_URL: z.url().default("https://api.sendgrid.com"),
  // How long one send may take before it counts as a network error (and is retried later).
  SENDGRID_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  SENDGRID_FROM_EMAIL: z.string().default("support@localhost"),
  SENDGRID_INBOUND_SECRET: optional,
  SENDGRID_INBOUND_PUBLIC_KEY: optional,
  SENDGRID_EVENT_PUBLIC_KEY: optional,
  CRON_SECRET: optional,
  SPAM_SCORE_THRESHOLD: z.coerce.number().default(5),
  // Loop brake: Service Desk mails per issue per external address per hour before further ones are held.
  LOOP_BRAKE_MAILS_PER_HOUR: z.coerce.number().int().min(1).default(5),
  // How long a processing may hold a stored mail before it is presumed dead and the mail is processed again.
  INBOUND_LEASE_SECONDS: z.preprocess(blankAsUnset, z.coerce.number().min(0.5).max(3_600).default(120)),
  // Retention (lib/privacy/retention.ts): days after which a finished inbound mail's raw payload, and a sent
  // mail's body, are dropped.
  INBOUND_RETENTION_DAYS: z.preprocess(blankAsUnset, z.coerce.number().min(1).max(36_500).default(90)),
  OUTBOUND_RETENTION_DAYS: z.preprocess(blankAsUnset, z.coerce.number().min(1).max(36_500).default(90)),
  // Tests only: `<point>@<n>` makes the process SIGKILL itself the n-th time it reaches that point of intake
  // (lib/fault-injection.ts), so crash tests can kill it between any two steps.
  FAULT_KILL_AT: optional,
  AKISMET_API_KEY: optional,
  // Akismet's API base; tests point it at a local server, like SENDGRID_API_BASE_URL.
  AKISMET_API_BASE_URL: z.url().default("https://rest.akismet.com").transform((v) => v.replace(/\/+$/, "")),
  GITHUB_ID: optional,
  GITHUB_SECRET: optional,
  GITLAB_ID: optional,
  GITLAB_SECRET: optional,
  // Who may create an account by signing in (lib/auth/sign-in-guard.ts); existing users always may.
  SIGNUP_POLICY: optional.transform((v) => v?.toLowerCase()).pipe(z.enum(["open", "domains", "invite"], { error: "must be open, domains or invite" }).default("open")),
  SIGNUP_ALLOWED_DOMAINS: commaList(domainName),
  // Made instance admins when they sign in by email link, and always allowed to sign up.
  ADMIN_EMAILS: commaList(z.email("must be comma-separated email addresses")),
  // Mailbox intake over IMAP (an alternative to SendGrid Inbound Parse): see lib/mail/mailbox/config.ts.
  IMAP_HOST: optional,
  IMAP_PORT: z.preprocess(blankAsUnset, z.coerce.number().int().min(1).max(65_535).optional()),
  IMAP_SECURE: flag,
  IMAP_STARTTLS: flag,
  IMAP_USER: optional,
  IMAP_PASSWORD: optional,
  IMAP_MAILBOX: optional.pipe(z.string().default("INBOX")),
  IMAP_PROCESSED_MAILBOX: optional,
  IMAP_IDLE_TIMEOUT: seconds(60),
  // Mailbox intake over Microsoft Graph (client credentials).
  GRAPH_TENANT_ID: optional,
  GRAPH_CLIENT_ID: optional,
  GRAPH_CLIENT_SECRET: optional,
  GRAPH_MAILBOX: optional,
  GRAPH_FOLDER: optional.pipe(z.string().default("inbox")),
  GRAPH_PROCESSED_FOLDER: optional,
  GRAPH_POLL_INTERVAL: seconds(60),
  GRAPH_AUTHORITY_HOST: optional.pipe(z.url().default("https://login.microsoftonline.com")).transform((v) => v.replace(/\/+$/, "")),
  GRAPH_API_BASE_URL: optional.pipe(z.url().default("https://graph.microsoft.com/v1.0")).transform((v) => v.replace(/\/+$/, "")),
  // Live pages (lib/live): "stream" holds a server-sent-events connection per open tab (with Postgres LISTEN/NOTIFY
  // across instances); "poll" is for platforms that cannot hold a stream (serverless): pages ask every few seconds.
  LIVE_UPDATES: optional.transform((v) => v?.toLowerCase()).pipe(z.enum(["stream", "poll", "off"], { error: "must be stream, poll or off" }).default("stream")),
  // Set by `next build`: configuration is checked when the server starts, not while building.
  NEXT_PHASE: optional,
});

export type Env = z.infer<typeof schema> & { AUTH_SECRET: string; isEmbeddedDb: boolean; isProduction: boolean; mailboxIntake: boolean };

// A mailbox source is configured when any of its variables is; then each of these must be set.
const MAILBOX_GROUPS = {
  IMAP: ["IMAP_HOST", "IMAP_USER", "IMAP_PASSWORD"],
  "Microsoft Graph": ["GRAPH_TENANT_ID", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET", "GRAPH_MAILBOX"],
} as const;

/** One line per variable a half-configured mailbox source lacks; and which sources are complete. */
function mailboxProblems(env: z.infer<typeof schema>): { problems: string[]; complete: boolean } {
  const problems: string[] = [];
  let complete = false;
  for (const [name, keys] of Object.entries(MAILBOX_GROUPS)) {
    const missing = keys.filter((key) => !env[key]);
    if (missing.length === 0) complete = true;
    else if (missing.length < keys.length)
      for (const key of missing)
        problems.push(`${key} is required when ${keys.filter((k) => env[k]).join(", ")} is set: the ${name} mailbox is only half configured.`);
  }
  return { problems, complete };
}

/** A sign-up policy that would not do what it says: domains without a list, or a list that is ignored. */
function signUpProblems(env: z.infer<typeof schema>): string[] {
  if (env.SIGNUP_POLICY === "domains" && env.SIGNUP_ALLOWED_DOMAINS.length === 0)
    return ["SIGNUP_ALLOWED_DOMAINS is required when SIGNUP_POLICY=domains: name the domains whose addresses may sign up, e.g. example.com,example.org."];
  if (env.SIGNUP_POLICY !== "domains" && env.SIGNUP_ALLOWED_DOMAINS.length > 0)
    return [`SIGNUP_ALLOWED_DOMAINS is set but SIGNUP_POLICY is ${env.SIGNUP_POLICY}, so the list would be ignored${env.SIGNUP_POLICY === "open" ? " and anyone could sign up" : ""}: set SIGNUP_POLICY=domains, or unset SIGNUP_ALLOWED_DOMAINS.`];
  return [];
}

/** Thrown for a configuration a server must not start with: one line per problem, each naming its variable. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join("\n"));
    this.problems = problems;
  }
}

function devSecret(dataDir: string): string {
  // Dev default: generated once and kept beside the embedded database, so sessions survive restarts.
  const dir = path.dirname(path.resolve(dataDir));
  const file = path.join(dir, "auth-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * On Vercel, APP_URL defaults to the project's production domain, so a one-click deploy needs no URL typed in;
 * and live pages poll, since a function cannot hold a stream for long, nor a pooled Neon connection LISTEN.
 */
function withPlatformDefaults(source: Record<string, string | undefined>): Record<string, string | undefined> {
  const vercelDomain = source.VERCEL_PROJECT_PRODUCTION_URL?.trim();
  return {
    ...source,
    ...(!source.APP_URL?.trim() && vercelDomain ? { APP_URL: `https://${vercelDomain}` } : {}),
    ...(source.VERCEL && !source.LIVE_UPDATES?.trim() ? { LIVE_UPDATES: "poll" } : {}),
  };
}

export function parseEnv(raw: Record<string, string | undefined>): Env {
  const source = withPlatformDefaults(raw);
  const result = schema.safeParse(source);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError([`Invalid configuration: ${String(issue.path[0])} ${issue.message}.`]);
  }
  const env = result.data;
  const isProduction = env.NODE_ENV === "production";
  const building = env.NEXT_PHASE === "phase-production-build";
  const mailbox = mailboxProblems(env);
  // Every problem at once: whoever deploys fixes them in one go instead of one restart each.
  const problems: string[] = building ? [] : [...mailbox.problems, ...signUpProblems(env)];
  if (isProduction && !building) {
    if (!env.DATABASE_URL) problems.push("DATABASE_URL is required in production (the embedded database is for development only).");
    if (!env.AUTH_SECRET) problems.push("AUTH_SECRET is required in production (e.g. `openssl rand -base64 32`).");
    if (!source.APP_URL?.trim())
      problems.push("APP_URL is required in production: the public URL of the app, used in sign-in links and in every mail's links.");
    // With a mailbox as the intake the webhook is not used, and without a secret it stays closed (401).
    if (!mailbox.complete && !env.SENDGRID_INBOUND_SECRET && !env.SENDGRID_INBOUND_PUBLIC_KEY)
      problems.push("SENDGRID_INBOUND_SECRET (or SENDGRID_INBOUND_PUBLIC_KEY) is required in production when mail comes in through the SendGrid webhook (no IMAP_* or GRAPH_* mailbox is configured): the webhook must not be open.");
    if (source.SENDGRID_FROM_EMAIL?.trim() && !env.SENDGRID_API_KEY)
      problems.push("SENDGRID_FROM_EMAIL is set but SENDGRID_API_KEY is not: no mail would leave (set the key, or unset the From address).");
  }
  if (problems.length) throw new ConfigError(problems);
  // An in-memory database lives as long as the process, and so may its secret: nothing is written to disk.
  const ephemeral = building || env.PGLITE_DATA_DIR.startsWith("memory://");
  const authSecret = env.AUTH_SECRET ?? (ephemeral ? randomBytes(32).toString("base64url") : devSecret(env.PGLITE_DATA_DIR));
  return { ...env, AUTH_SECRET: authSecret, isEmbeddedDb: !env.DATABASE_URL, isProduction, mailboxIntake: mailbox.complete };
}

let cached: Env | undefined;

/** The validated configuration of this process (read once). */
export function env(): Env {
  if (!cached) {
    cached = parseEnv(process.env);
    // next-auth 4 reads its base URL from NEXTAUTH_URL; APP_URL is this app's one name for it.
    process.env.NEXTAUTH_URL ??= cached.APP_URL;
  }
  return cached;
}

/**
 * Only the database settings, for `db:migrate`: a deploy's build step migrates before the app's other settings
 * (secrets, mail) matter, and must not be refused for lacking them.
 */
export function databaseEnv(source: Record<string, string | undefined> = process.env) {
  const result = schema.pick({ DATABASE_URL: true, PGLITE_DATA_DIR: true }).safeParse(source);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError([`Invalid configuration: ${String(issue.path[0])} ${issue.message}.`]);
  }
  return result.data;
}

/** Forgets the cached configuration, for tests that change process.env between cases. */
export function resetEnv(): void {
  cached = undefined;
}
