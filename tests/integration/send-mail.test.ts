// The mail path: with SENDGRID_API_KEY, mail goes through the real @sendgrid/mail client to a local
// SendGrid-compatible server (tests/support/sendgrid-server.ts); without it, it is kept for /dev/mailbox.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { resetEnv } from "@/lib/env";
import { drained, deliverSoon } from "@/lib/mail/deliver-soon";
import { enqueueMail } from "@/lib/mail/outbox";
import { sendMail } from "@/lib/mail/send-mail";
import { startFakeSendGrid, type FakeSendGrid } from "../support/sendgrid-server";

let sendgrid: FakeSendGrid;
const saved = { ...process.env };

function useSendGrid(on: boolean) {
  for (const key of ["SENDGRID_API_KEY", "SENDGRID_API_BASE_URL", "SENDGRID_FROM_EMAIL"]) delete process.env[key];
  if (on) {
    process.env.SENDGRID_API_KEY = sendgrid.apiKey;
    process.env.SENDGRID_API_BASE_URL = sendgrid.url;
    process.env.SENDGRID_FROM_EMAIL = "support@desk.example.com";
  }
  resetEnv();
}

beforeAll(async () => {
  sendgrid = await startFakeSendGrid();
});
afterEach(() => {
  process.env = { ...saved };
  resetEnv();
});
afterAll(() => sendgrid.close());

const to = () => `customer-${Math.random().toString(36).slice(2)}@example.com`;

describe("sendMail", () => {
  it("sends through SendGrid with headers and the outbox id, and records the provider's message id", async () => {
    useSendGrid(true);
    const recipient = to();
    const result = await sendMail({
      kind: "test",
      to: recipient,
      subject: "Hello",
      text: "Plain body",
      html: "<p>HTML body</p>",
      fromName: "Acme Support",
      headers: { "Auto-Submitted": "auto-generated" },
    });
    expect(result.status).toBe("sent");
    const message = sendgrid.accepted.find((m) => m.to.includes(recipient));
    expect(message).toMatchObject({
      from: { email: "support@desk.example.com", name: "Acme Support" },
      subject: "Hello",
      text: "Plain body",
      html: "<p>HTML body</p>",
      customArgs: { outbound_email_id: result.id },
    });
    expect(message!.headers["Auto-Submitted"]).toBe("auto-generated");
    expect(message!.headers["Message-ID"]).toMatch(/^<[0-9a-f-]+@localhost>$/);
    const row = await db().outboundEmail.findUniqueOrThrow({ where: { id: result.id } });
    expect(row).toMatchObject({ status: "sent", transport: "sendgrid", providerMessageId: message!.messageId, attempts: 1, text: "Plain body" });
  });

  it("redacts a sensitive mail's stored copy once SendGrid has it", async () => {
    useSendGrid(true);
    const result = await sendMail({ kind: "sign_in", to: to(), subject: "Sign in", text: "https://x/secret-link", html: "<a href='https://x/secret-link'>go</a>", sensitive: true });
    expect(result.status).toBe("sent");
    const row = await db().outboundEmail.findUniqueOrThrow({ where: { id: result.id } });
    expect(row.text).not.toContain("secret-link");
    expect(row.html).not.toContain("secret-link");
    expect(sendgrid.accepted.at(-1)!.text).toContain("secret-link");
  });

  it("keeps SendGrid's error on the row when it refuses the mail", async () => {
    useSendGrid(true);
    sendgrid.failNext({ status: 400, body: { errors: [{ message: "The from address does not match a verified Sender Identity" }] } });
    const result = await sendMail({ kind: "test", to: to(), subject: "Hi", text: "t", html: "<p>t</p>" });
    expect(result.status).toBe("failed");
    expect(result.error).toContain("verified Sender Identity");
    const row = await db().outboundEmail.findUniqueOrThrow({ where: { id: result.id } });
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/SendGrid 400: The from address does not match/);
  });

  it("retries a rate-limited mail when SendGrid's window resets (X-RateLimit-Reset), not before", async () => {
    useSendGrid(true);
    const resetAt = Math.floor(Date.now() / 1000) + 120;
    sendgrid.failNext({ status: 429, body: { errors: [{ message: "too many requests" }] }, headers: { "X-RateLimit-Reset": String(resetAt) } });
    const result = await sendMail({ kind: "test", to: to(), subject: "Later", text: "t", html: "<p>t</p>" });
    const row = await db().outboundEmail.findUniqueOrThrow({ where: { id: result.id } });
    expect(row.status).toBe("pending");
    expect(row.error).toContain("SendGrid 429");
    expect(row.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(resetAt * 1000);
    expect(row.nextAttemptAt!.getTime()).toBeLessThan(resetAt * 1000 + 10_000);
  });

  it("keeps mail in the dev mailbox without an API key, and sends nothing", async () => {
    useSendGrid(false);
    const before = sendgrid.accepted.length;
    const result = await sendMail({ kind: "sign_in", to: to(), subject: "Sign in", text: "https://x/link", html: "<p>link</p>", sensitive: true });
    expect(result.status).toBe("dev");
    expect(sendgrid.accepted.length).toBe(before);
    const row = await db().outboundEmail.findUniqueOrThrow({ where: { id: result.id } });
    expect(row).toMatchObject({ status: "dev", transport: "dev", text: "https://x/link" });
  });
});

describe("deliverSoon", () => {
  it("sends every mail queued by concurrent requests, each once, through one sender", async () => {
    useSendGrid(true);
    const recipients = Array.from({ length: 7 }, to);
    const ids = await Promise.all(recipients.map((recipient) => enqueueMail({ kind: "test", to: recipient, subject: "Burst", text: "t", html: "<p>t</p>" })));
    const before = sendgrid.accepted.length;
    // As seven webhook requests finishing at once would: each hands over its own row.
    for (const id of ids) deliverSoon([id]);
    deliverSoon([ids[0]]);
    await drained();
    const accepted = sendgrid.accepted.slice(before).map((m) => m.customArgs.outbound_email_id);
    expect(accepted.sort()).toEqual([...ids].sort());
    const rows = await db().outboundEmail.findMany({ where: { id: { in: ids } }, select: { status: true, attempts: true } });
    expect(rows.every((r) => r.status === "sent" && r.attempts === 1)).toBe(true);
    // Queued while a drain is running: picked up by the same sender once the drain comes round.
    const late = await enqueueMail({ kind: "test", to: to(), subject: "Late", text: "t", html: "<p>t</p>" });
    const first = await enqueueMail({ kind: "test", to: to(), subject: "First", text: "t", html: "<p>t</p>" });
    deliverSoon([first]);
    deliverSoon([late]);
    await drained();
    expect((await db().outboundEmail.findMany({ where: { id: { in: [first, late] } }, select: { status: true } })).map((r) => r.status)).toEqual(["sent", "sent"]);
  });
});
