import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, databaseEnv, parseEnv } from "@/lib/env";

const PROD = { NODE_ENV: "production" } as const;
const PG = "postgres://app@db.internal:5432/servicedesk";

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

const temps: string[] = [];
function tempDir() {
  const dir = mkdtempSync(path.join(tmpdir(), "sd-env-"));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("parseEnv in production", () => {
  // Everything a production server needs; each test takes one thing away.
  const READY = { ...PROD, DATABASE_URL: PG, AUTH_SECRET: "s3cret", APP_URL: "https://desk.example.com", SENDGRID_INBOUND_SECRET: "hook" };
  const without = (...keys: (keyof typeof READY)[]) => Object.fromEntries(Object.entries(READY).filter(([key]) => !keys.includes(key as keyof typeof READY)));

  it.each([
    ["DATABASE_URL", without("DATABASE_URL")],
    ["DATABASE_URL", { ...READY, DATABASE_URL: "  " }],
    ["AUTH_SECRET", without("AUTH_SECRET")],
    ["APP_URL", without("APP_URL")],
    ["SENDGRID_INBOUND_SECRET (or SENDGRID_INBOUND_PUBLIC_KEY)", without("SENDGRID_INBOUND_SECRET")],
    ["SENDGRID_API_KEY", { ...READY, SENDGRID_FROM_EMAIL: "support@desk.example.com" }],
  ])("refuses to start without %s, in one line naming it", (variable, source) => {
    const error = configError(() => parseEnv(source));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain(variable);
    expect(error.message).not.toContain("\n");
  });

  it("names every problem at once, one line each", () => {
    const error = configError(() => parseEnv({ ...PROD, SENDGRID_FROM_EMAIL: "support@desk.example.com" }));
    expect(error.problems.map((line) => line.split(" ")[0])).toEqual(["DATABASE_URL", "AUTH_SECRET", "APP_URL", "SENDGRID_INBOUND_SECRET", "SENDGRID_FROM_EMAIL"]);
    expect(error.message.split("\n")).toHaveLength(5);
  });

  it.each([{ SENDGRID_INBOUND_SECRET: "hook" }, { SENDGRID_INBOUND_PUBLIC_KEY: "MFkw" }])("starts with all set, on Postgres (%o)", (inbound) => {
    const env = parseEnv({ ...without("SENDGRID_INBOUND_SECRET"), AUTH_SECRET: " s3cret ", ...inbound });
    expect(env).toMatchObject({ isProduction: true, isEmbeddedDb: false, DATABASE_URL: PG, AUTH_SECRET: "s3cret" });
  });

  it.each([
    ["IMAP", { IMAP_HOST: "imap.example.com", IMAP_USER: "support@example.com", IMAP_PASSWORD: "pw" }],
    ["Microsoft Graph", { GRAPH_TENANT_ID: "t", GRAPH_CLIENT_ID: "c", GRAPH_CLIENT_SECRET: "s", GRAPH_MAILBOX: "support@example.com" }],
  ])("starts without a SendGrid inbound secret when a mailbox (%s) is the intake", (_kind, mailbox) => {
    const env = parseEnv({ ...without("SENDGRID_INBOUND_SECRET"), ...mailbox });
    expect(env.mailboxIntake).toBe(true);
    expect(env.SENDGRID_INBOUND_SECRET).toBeUndefined();
  });

  it("still requires the inbound secret when the mailbox is only half configured, naming both problems at once", () => {
    const error = configError(() => parseEnv({ ...without("SENDGRID_INBOUND_SECRET"), IMAP_HOST: "imap.example.com", IMAP_USER: "support@example.com" }));
    expect(error.problems).toEqual([
      expect.stringMatching(/^IMAP_PASSWORD is required when IMAP_HOST, IMAP_USER is set/),
      expect.stringMatching(/^SENDGRID_INBOUND_SECRET \(or SENDGRID_INBOUND_PUBLIC_KEY\) is required/),
    ]);
  });

  it("starts with a From address when the API key is there too", () => {
    expect(parseEnv({ ...READY, SENDGRID_FROM_EMAIL: "support@desk.example.com", SENDGRID_API_KEY: "SG.x" }).SENDGRID_FROM_EMAIL).toBe("support@desk.example.com");
  });

  it("takes APP_URL from Vercel's production domain when it is not set", () => {
    const env = parseEnv({ ...without("APP_URL"), VERCEL_PROJECT_PRODUCTION_URL: "desk-acme.vercel.app" });
    expect(env.APP_URL).toBe("https://desk-acme.vercel.app");
    expect(parseEnv({ ...READY, VERCEL_PROJECT_PRODUCTION_URL: "desk-acme.vercel.app" }).APP_URL).toBe("https://desk.example.com");
  });

  it("live pages stream by default, poll on Vercel unless told otherwise, and refuse an unknown mode", () => {
    expect(parseEnv(READY).LIVE_UPDATES).toBe("stream");
    expect(parseEnv({ ...READY, VERCEL: "1" }).LIVE_UPDATES).toBe("poll");
    expect(parseEnv({ ...READY, VERCEL: "1", LIVE_UPDATES: "stream" }).LIVE_UPDATES).toBe("stream");
    expect(parseEnv({ ...READY, LIVE_UPDATES: "OFF" }).LIVE_UPDATES).toBe("off");
    expect(() => parseEnv({ ...READY, LIVE_UPDATES: "websocket" })).toThrow(/LIVE_UPDATES must be stream, poll or off/);
  });

  it("lets db:migrate run with only the database settings (a deploy's build step)", () => {
    expect(databaseEnv({ ...PROD, DATABASE_URL: PG })).toEqual({ DATABASE_URL: PG, PGLITE_DATA_DIR: ".data/pglite" });
    expect(() => databaseEnv({ DATABASE_URL: "mysql://x/y" })).toThrow(ConfigError);
  });

  it("does not require them while `next build` runs (NEXT_PHASE=phase-production-build)", () => {
    const env = parseEnv({ ...PROD, NEXT_PHASE: "phase-production-build" });
    expect(env.isProduction).toBe(true);
    expect(env.isEmbeddedDb).toBe(true);
    expect(env.AUTH_SECRET).toBeTruthy();
  });

  it("still requires them in other Next phases", () => {
    expect(() => parseEnv({ ...PROD, NEXT_PHASE: "phase-production-server" })).toThrow(ConfigError);
  });
});

describe("parseEnv validation", () => {
  it.each(["mysql://root@localhost/db", "localhost:5432/db", "file:./dev.db"])("rejects DATABASE_URL=%s", (url) => {
    const error = configError(() => parseEnv({ DATABASE_URL: url, AUTH_SECRET: "x" }));
    expect(error.message).toContain("DATABASE_URL");
    expect(error.message).not.toContain("\n");
  });

  it.each(["postgres://u@h/db", "postgresql://u:p@h:5433/db?sslmode=require"])("accepts DATABASE_URL=%s", (url) => {
    expect(parseEnv({ DATABASE_URL: url, AUTH_SECRET: "x" }).DATABASE_URL).toBe(url);
  });

  it("rejects an unknown NODE_ENV and names it", () => {
    expect(configError(() => parseEnv({ NODE_ENV: "staging", AUTH_SECRET: "x" })).message).toContain("NODE_ENV");
  });

  it("rejects an incoming address pattern without %{key}", () => {
    const error = configError(() => parseEnv({ AUTH_SECRET: "x", INCOMING_EMAIL_ADDRESS: "support@example.com" }));
    expect(error.message).toContain("INCOMING_EMAIL_ADDRESS");
  });

  it("defaults to the embedded database in development and strips a trailing slash from APP_URL", () => {
    const env = parseEnv({ AUTH_SECRET: "x", APP_URL: "https://desk.example.com/" });
    expect(env).toMatchObject({ NODE_ENV: "development", isEmbeddedDb: true, isProduction: false });
    expect(env.APP_URL).toBe("https://desk.example.com");
    expect(env.PGLITE_DATA_DIR).toBe(".data/pglite");
  });

  it.each([
    [{ IMAP_HOST: "imap.example.com" }, ["IMAP_USER", "IMAP_PASSWORD"]],
    [{ IMAP_USER: "u", IMAP_PASSWORD: "p" }, ["IMAP_HOST"]],
    [{ GRAPH_MAILBOX: "support@example.com", GRAPH_TENANT_ID: "t" }, ["GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET"]],
  ])("refuses a half-configured mailbox (%o), naming what is missing", (vars, missing) => {
    const error = configError(() => parseEnv({ AUTH_SECRET: "x", ...vars }));
    expect(error.problems.map((line) => line.split(" ")[0])).toEqual(missing);
  });

  it("reads the IMAP and Graph settings with their defaults", () => {
    const env = parseEnv({ AUTH_SECRET: "x" });
    expect(env).toMatchObject({
      IMAP_MAILBOX: "INBOX",
      IMAP_IDLE_TIMEOUT: 60,
      GRAPH_FOLDER: "inbox",
      GRAPH_POLL_INTERVAL: 60,
      GRAPH_AUTHORITY_HOST: "https://login.microsoftonline.com",
      GRAPH_API_BASE_URL: "https://graph.microsoft.com/v1.0",
      mailboxIntake: false,
    });
    expect(env.IMAP_PORT).toBeUndefined();
    const set = parseEnv({ AUTH_SECRET: "x", IMAP_PORT: "3143", IMAP_SECURE: "no", IMAP_STARTTLS: "true", IMAP_IDLE_TIMEOUT: "300", GRAPH_API_BASE_URL: "http://127.0.0.1:3401/v1.0/" });
    expect(set).toMatchObject({ IMAP_PORT: 3143, IMAP_SECURE: false, IMAP_STARTTLS: true, IMAP_IDLE_TIMEOUT: 300, GRAPH_API_BASE_URL: "http://127.0.0.1:3401/v1.0" });
    expect(parseEnv({ AUTH_SECRET: "x", IMAP_PORT: " " }).IMAP_PORT).toBeUndefined();
  });

  it.each([["IMAP_SECURE", "maybe"], ["IMAP_PORT", "99999"], ["IMAP_IDLE_TIMEOUT", "0"], ["GRAPH_AUTHORITY_HOST", "not a url"]])("rejects %s=%s", (name, value) => {
    expect(configError(() => parseEnv({ AUTH_SECRET: "x", [name]: value })).message).toContain(name);
  });

  it("coerces SPAM_SCORE_THRESHOLD to a number", () => {
    expect(parseEnv({ AUTH_SECRET: "x", SPAM_SCORE_THRESHOLD: "3.5" }).SPAM_SCORE_THRESHOLD).toBe(3.5);
  });
});

describe("development AUTH_SECRET", () => {
  it("is generated once beside the embedded database and reused", () => {
    const dir = tempDir();
    const dataDir = path.join(dir, "pglite");
    const first = parseEnv({ PGLITE_DATA_DIR: dataDir }).AUTH_SECRET;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(dir, "auth-secret"), "utf8").trim()).toBe(first);
    expect(parseEnv({ PGLITE_DATA_DIR: dataDir }).AUTH_SECRET).toBe(first);
    expect(existsSync(dataDir)).toBe(false); // the database itself is not created by reading the config
  });
});

describe("sign-up settings", () => {
  const DEV = { NODE_ENV: "development", PGLITE_DATA_DIR: "memory://" } as const;

  it("default to open sign-up and no admins (a local install behaves as before)", () => {
    expect(parseEnv(DEV)).toMatchObject({ SIGNUP_POLICY: "open", SIGNUP_ALLOWED_DOMAINS: [], ADMIN_EMAILS: [] });
    expect(parseEnv({ ...DEV, SIGNUP_POLICY: " ", ADMIN_EMAILS: "" }).SIGNUP_POLICY).toBe("open");
  });

  it("read comma-separated lists, trimmed and lower-cased", () => {
    const env = parseEnv({ ...DEV, SIGNUP_POLICY: "Domains", SIGNUP_ALLOWED_DOMAINS: " Example.com, @corp.example.org ,,", ADMIN_EMAILS: "Root@Example.com, ops@corp.example.org" });
    expect(env).toMatchObject({
      SIGNUP_POLICY: "domains",
      SIGNUP_ALLOWED_DOMAINS: ["example.com", "corp.example.org"],
      ADMIN_EMAILS: ["root@example.com", "ops@corp.example.org"],
    });
    expect(parseEnv({ ...DEV, SIGNUP_POLICY: "invite" }).SIGNUP_POLICY).toBe("invite");
  });

  it.each([
    ["SIGNUP_POLICY must be open, domains or invite", { SIGNUP_POLICY: "closed" }],
    ["SIGNUP_ALLOWED_DOMAINS must be comma-separated domain names", { SIGNUP_POLICY: "domains", SIGNUP_ALLOWED_DOMAINS: "example.com, not a domain" }],
    ["ADMIN_EMAILS must be comma-separated email addresses", { ADMIN_EMAILS: "root@example.com root2@example.com" }],
    ["SIGNUP_ALLOWED_DOMAINS is required when SIGNUP_POLICY=domains", { SIGNUP_POLICY: "domains" }],
    ["SIGNUP_ALLOWED_DOMAINS is set but SIGNUP_POLICY is open, so the list would be ignored and anyone could sign up", { SIGNUP_ALLOWED_DOMAINS: "example.com" }],
    ["SIGNUP_ALLOWED_DOMAINS is set but SIGNUP_POLICY is invite", { SIGNUP_POLICY: "invite", SIGNUP_ALLOWED_DOMAINS: "example.com" }],
  ])("refuse to start on a policy that would not do what it says: %s", (message, vars) => {
    const error = configError(() => parseEnv({ ...DEV, ...vars }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain(message);
  });
});
