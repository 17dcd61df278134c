// The one place that reads process.env: every variable of DESIGN.md, validated once with zod.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

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
  AKISMET_API_KEY: optional,
  // Akismet's API base; tests point it at a local server, like SENDGRID_API_BASE_URL.
  AKISMET_API_BASE_URL: z.url().default("https://rest.akismet.com").transform((v) => v.replace(/\/+$/, "")),
  GITHUB_ID: optional,
  GITHUB_SECRET: optional,
  GITLAB_ID: optional,
  GITLAB_SECRET: optional,
  // Set by `next build`: configuration is checked when the server starts, not while building.
  NEXT_PHASE: optional,
});

export type Env = z.infer<typeof schema> & { AUTH_SECRET: string; isEmbeddedDb: boolean; isProduction: boolean };

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

/** On Vercel, APP_URL defaults to the project's production domain, so a one-click deploy needs no URL typed in. */
function withPlatformDefaults(source: Record<string, string | undefined>): Record<string, string | undefined> {
  const vercelDomain = source.VERCEL_PROJECT_PRODUCTION_URL?.trim();
  if (source.APP_URL?.trim() || !vercelDomain) return source;
  return { ...source, APP_URL: `https://${vercelDomain}` };
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
  if (isProduction && !building) {
    // Every problem at once: whoever deploys fixes them in one go instead of one restart each.
    const problems: string[] = [];
    if (!env.DATABASE_URL) problems.push("DATABASE_URL is required in production (the embedded database is for development only).");
    if (!env.AUTH_SECRET) problems.push("AUTH_SECRET is required in production (e.g. `openssl rand -base64 32`).");
    if (!source.APP_URL?.trim())
      problems.push("APP_URL is required in production: the public URL of the app, used in sign-in links and in every mail's links.");
    if (!env.SENDGRID_INBOUND_SECRET && !env.SENDGRID_INBOUND_PUBLIC_KEY)
      problems.push("SENDGRID_INBOUND_SECRET (or SENDGRID_INBOUND_PUBLIC_KEY) is required in production: the inbound mail webhook must not be open.");
    if (source.SENDGRID_FROM_EMAIL?.trim() && !env.SENDGRID_API_KEY)
      problems.push("SENDGRID_FROM_EMAIL is set but SENDGRID_API_KEY is not: no mail would leave (set the key, or unset the From address).");
    if (problems.length) throw new ConfigError(problems);
  }
  // An in-memory database lives as long as the process, and so may its secret: nothing is written to disk.
  const ephemeral = building || env.PGLITE_DATA_DIR.startsWith("memory://");
  const authSecret = env.AUTH_SECRET ?? (ephemeral ? randomBytes(32).toString("base64url") : devSecret(env.PGLITE_DATA_DIR));
  return { ...env, AUTH_SECRET: authSecret, isEmbeddedDb: !env.DATABASE_URL, isProduction };
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
