// Each configuration a production server must refuse: the real standalone server process exits non-zero and
// names the variable, instead of starting half-configured (tests/unit/env.test.ts checks the rules themselves).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProductionServerUntilExit, startProductionServer } from "../support/production-server";
import { freshMigratedDatabase, type ScratchDatabase } from "./helpers";

let database: ScratchDatabase;

beforeAll(async () => {
  database = await freshMigratedDatabase("sd_prod_config");
}, 60_000);

afterAll(async () => {
  await database?.drop();
});

const good = (port: number): Record<string, string> => ({
  DATABASE_URL: database.url,
  AUTH_SECRET: "config-auth-secret-0123456789abcdef",
  APP_URL: `http://127.0.0.1:${port}`,
  SENDGRID_INBOUND_SECRET: "config-inbound-secret",
});

const cases: { name: string; variable: RegExp; change: (env: Record<string, string>) => void }[] = [
  { name: "AUTH_SECRET missing", variable: /AUTH_SECRET is required/, change: (env) => delete env.AUTH_SECRET },
  { name: "DATABASE_URL missing", variable: /DATABASE_URL is required/, change: (env) => delete env.DATABASE_URL },
  { name: "APP_URL missing", variable: /APP_URL is required/, change: (env) => delete env.APP_URL },
  {
    name: "inbound webhook with neither secret nor public key",
    variable: /SENDGRID_INBOUND_SECRET \(or SENDGRID_INBOUND_PUBLIC_KEY\) is required/,
    change: (env) => delete env.SENDGRID_INBOUND_SECRET,
  },
  {
    name: "SENDGRID_FROM_EMAIL without SENDGRID_API_KEY",
    variable: /SENDGRID_FROM_EMAIL is set but SENDGRID_API_KEY is not/,
    change: (env) => (env.SENDGRID_FROM_EMAIL = "support@example.com"),
  },
];

describe("production start-up refuses an unsafe configuration", () => {
  it("starts with the complete configuration (the baseline every case below breaks once)", async () => {
    const server = await startProductionServer({ port: 3320, env: good(3320) });
    try {
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it.each(cases.map((c, i) => ({ ...c, port: 3321 + i })))("$name: exits non-zero naming the variable", async ({ variable, change, port }) => {
    const env = good(port);
    change(env);
    const result = await runProductionServerUntilExit({ port, env, timeoutMs: 30_000 });
    expect(result.timedOut, `still running after 30 s:\n${result.output}`).toBe(false);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    const lines = result.output.split("\n").filter((line) => line.startsWith("Service Desk cannot start: "));
    expect(lines.some((line) => variable.test(line)), result.output).toBe(true);
    // One line per problem: nothing else was wrong with this configuration.
    expect(lines).toHaveLength(1);
  });

  it("names every problem at once, one line each", async () => {
    const result = await runProductionServerUntilExit({ port: 3329, env: { APP_URL: "http://127.0.0.1:3329" }, timeoutMs: 30_000 });
    expect(result.code).not.toBe(0);
    const lines = result.output.split("\n").filter((line) => line.startsWith("Service Desk cannot start: "));
    expect(lines.map((line) => /: (\w+)/.exec(line)?.[1])).toEqual(["DATABASE_URL", "AUTH_SECRET", "SENDGRID_INBOUND_SECRET"]);
  });
});
