// The self-hosted production server (`npm run build`, then `node .next/standalone/server.js`) against a fresh
// Postgres database migrated by the project's runner: what a new deploy must do before anything else.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeSendGrid, type FakeSendGrid } from "../support/sendgrid-server";
import { startProductionServer, type ProductionServer } from "../support/production-server";
import { eml } from "../support/mail";
import { freshMigratedDatabase, postInbound, serviceDeskProject, type ScratchDatabase } from "./helpers";

const PORT = 3310;
const INBOUND_SECRET = "smoke-inbound-secret";
const CRON_SECRET = "smoke-cron-secret";

let database: ScratchDatabase;
let sendgrid: FakeSendGrid;
let server: ProductionServer;
let address: string;

beforeAll(async () => {
  database = await freshMigratedDatabase("sd_prod_smoke");
  sendgrid = await startFakeSendGrid("SG.smoke-key");
  // The project is set up while the server starts.
  const project = serviceDeskProject(database.url, "smoke/desk", "owner@smoke.example");
  project.catch(() => undefined);
  server = await startProductionServer({
    port: PORT,
    env: {
      DATABASE_URL: database.url,
      AUTH_SECRET: "smoke-auth-secret-0123456789abcdef",
      APP_URL: `http://127.0.0.1:${PORT}`,
      SENDGRID_INBOUND_SECRET: INBOUND_SECRET,
      SENDGRID_API_KEY: sendgrid.apiKey,
      SENDGRID_API_BASE_URL: sendgrid.url,
      SENDGRID_FROM_EMAIL: "support@smoke.example",
      CRON_SECRET,
    },
  });
  address = await project;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await sendgrid?.close();
  await database?.drop();
});

describe("production server (standalone) on a fresh Postgres database", () => {
  it("reports healthy with the migrations current", async () => {
    const response = await fetch(`${server.url}/api/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toContain("no-store");
    expect(await response.json()).toMatchObject({ status: "ok", database: "ok", migrations: "current" });
  });

  it("renders the sign-in page with its stylesheet and public files served from the standalone folder", async () => {
    const response = await fetch(`${server.url}/sign-in`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("Sign in");
    // The standalone output leaves out .next/static and public unless `npm run build` copies them in.
    const stylesheet = /href="(\/_next\/static\/[^"]+\.css)"/.exec(html)?.[1];
    expect(stylesheet, "the page links a stylesheet").toBeDefined();
    const css = await fetch(`${server.url}${stylesheet}`);
    expect(css.status).toBe(200);
    expect(await css.text()).toMatch(/\{[^}]*:/);
    expect((await fetch(`${server.url}/favicon.svg`)).status).toBe(200);
    // The dev mailbox does not exist in production.
    expect((await fetch(`${server.url}/dev/mailbox`)).status).toBe(404);
  });

  it("sends the security headers: a nonce-based CSP on pages (on Next's scripts too), static ones on API answers", async () => {
    const page = await fetch(`${server.url}/sign-in`);
    const csp = page.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)' 'strict-dynamic'(;|$)/.exec(csp)?.[1];
    expect(nonce, csp).toBeDefined();
    expect(csp).toContain(`style-src 'self' 'nonce-${nonce}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-eval|ws:/);
    const html = await page.text();
    // Rendered per request: every script of the page carries this response's nonce.
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    // APP_URL is http here: HSTS only when a TLS-terminating proxy says the request came over https.
    expect(page.headers.get("strict-transport-security")).toBeNull();
    const behindTls = await fetch(`${server.url}/sign-in`, { headers: { "x-forwarded-proto": "https" } });
    expect(behindTls.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
    const health = await fetch(`${server.url}/api/health`);
    expect(health.headers.get("x-content-type-options")).toBe("nosniff");
    expect(health.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it("refuses inbound mail without the webhook secret, and stores nothing", async () => {
    const raw = eml({ to: address, from: "Mallory <mallory@evil.example>", subject: "No secret", messageId: "no-secret@evil.example" });
    expect((await postInbound(server.url, raw)).status).toBe(401);
    expect((await postInbound(server.url, raw, "wrong-secret")).status).toBe(401);
    const stored = await database.query<{ n: string }>("SELECT count(*) AS n FROM inbound_emails");
    expect(Number(stored[0].n)).toBe(0);
  });

  it("with the secret stores the mail, creates the issue and sends the thank-you through SendGrid", async () => {
    const raw = eml({ to: address, from: "Jake Customer <jake@customer.example>", subject: "Printer on fire", messageId: "smoke-1@customer.example" });
    const response = await postInbound(server.url, raw, INBOUND_SECRET);
    expect(response.status).toBe(200);
    const outcome = await response.json();
    expect(outcome).toMatchObject({ status: "created_issue", issueIid: 1 });

    const [inbound] = await database.query<{ status: string }>("SELECT status FROM inbound_emails WHERE id = $1", [outcome.inboundEmailId]);
    expect(inbound.status).toBe("created_issue");
    const [issue] = await database.query<{ title: string; confidential: boolean; external_author: string }>(
      "SELECT i.title, i.confidential, i.external_author FROM issues i JOIN projects p ON p.id = i.project_id WHERE i.iid = 1",
    );
    expect(issue).toMatchObject({ title: "Printer on fire", confidential: true, external_author: "jake@customer.example" });

    // Sent right after the response (after()): wait for the fake SendGrid to have it.
    const deadline = Date.now() + 20_000;
    while (!sendgrid.accepted.some((m) => m.to.includes("jake@customer.example")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const thanks = sendgrid.accepted.filter((m) => m.to.includes("jake@customer.example"));
    expect(thanks).toHaveLength(1);
    const [row] = await database.query<{ id: string; status: string }>("SELECT id, status FROM outbound_emails WHERE \"to\" = $1", ["jake@customer.example"]);
    expect(thanks[0].customArgs.outbound_email_id).toBe(row.id);

    // The same delivery again (SendGrid retries) changes nothing.
    const again = await postInbound(server.url, raw, INBOUND_SECRET);
    expect(await again.json()).toMatchObject({ status: "duplicate" });
  });

  it("serves the REST API under GitLab's /api/v4 too, in place, with GitLab's JSON for unknown paths", async () => {
    // Routes that exist answer 401 without a token (not the catch-all's 404): /members/all re-exports /members.
    for (const path of ["/api/v4/user", "/api/v4/version", "/api/v4/projects/1/members/all", "/api/v4/projects/1/labels"]) {
      const answer = await fetch(`${server.url}${path}`, { redirect: "manual" });
      expect(answer.status, path).toBe(401);
      expect(await answer.json(), path).toEqual({ message: "401 Unauthorized" });
    }
    for (const path of ["/api/v4/no-such-thing", "/api/v4", "/api/v1/projects/1/no-such-thing"]) {
      const unknown = await fetch(`${server.url}${path}`, { redirect: "manual" });
      expect(unknown.status, path).toBe(404);
      expect(await unknown.json(), path).toEqual({ message: "404 Not Found" });
    }
  });

  it("keeps the cron route closed without the CRON_SECRET bearer", async () => {
    expect((await fetch(`${server.url}/api/cron/outbox`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/cron/outbox`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    const open = await fetch(`${server.url}/api/cron/outbox`, { method: "POST", headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(open.status).toBe(200);
    expect(await open.json()).toMatchObject({ failed: 0, errors: 0 });
  });

  it("mails at most 5 sign-in links an hour to one address, answering every request the same", async () => {
    const csrf = await fetch(`${server.url}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookie = csrf.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const email = "flood@smoke.example";
    const answers: string[] = [];
    for (let i = 0; i < 7; i++) {
      const response = await fetch(`${server.url}/api/auth/signin/email`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie, "x-forwarded-for": "198.51.100.7" },
        body: new URLSearchParams({ email, csrfToken, callbackUrl: `${server.url}/`, json: "true" }),
      });
      answers.push(`${response.status} ${await response.text()}`);
    }
    expect(new Set(answers).size, answers.join("\n")).toBe(1);
    const [row] = await database.query<{ n: string }>(`SELECT count(*) AS n FROM outbound_emails WHERE kind = 'sign_in' AND "to" = $1`, [email]);
    expect(Number(row.n)).toBe(5);
  });

  it("writes nothing alarming to its logs", () => {
    expect(server.output()).not.toMatch(/Service Desk cannot start|Error:|does not work with "output: standalone"/);
  });
});
