// The outbox under a misbehaving SendGrid (the local SendGrid-compatible server scripted to answer 500, 429 with
// a reset, drop the connection or hang): every queued mail is eventually accepted exactly once, identified by
// its outbox id; permanent refusals and exhausted retries end as `failed` with the error. On Postgres, two
// senders draining one outbox at once never send a mail twice, and a sender killed mid-drain (SIGKILL) leaves
// nothing unsent and at most its in-flight mail sent twice.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db/client";
import { deliverOutbox, enqueueMail } from "@/lib/mail/outbox";
import { startFakeSendGrid, type FakeSendGrid } from "../support/sendgrid-server";
import { backend, uid, withEnv } from "./helpers";

let sendgrid: FakeSendGrid;
const saved = { key: process.env.SENDGRID_API_KEY, base: process.env.SENDGRID_API_BASE_URL };
beforeAll(async () => {
  sendgrid = await startFakeSendGrid();
  process.env.SENDGRID_API_KEY = sendgrid.apiKey;
  process.env.SENDGRID_API_BASE_URL = sendgrid.url;
});
afterAll(async () => {
  await sendgrid.close();
  for (const [key, value] of [["SENDGRID_API_KEY", saved.key], ["SENDGRID_API_BASE_URL", saved.base]] as const)
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
});
// A short timeout so a hung request fails in the test's time, not SendGrid's.
withEnv({ SENDGRID_FROM_EMAIL: "support@desk.example.com", SENDGRID_TIMEOUT_MS: "400" });

async function queue(count: number): Promise<string[]> {
  const batch = uid();
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push(await enqueueMail({ kind: "test", to: `c${i}-${batch}@example.com`, subject: `m${i}`, text: "t", html: "<p>t</p>" }));
  return ids;
}

/** Drains `ids` the way the cron route would over time: deliver, then let the backoff elapse, until done. */
async function drainUntilSettled(ids: string[], rounds = 15) {
  for (let round = 0; round < rounds; round++) {
    await deliverOutbox({ ids });
    const left = await db().outboundEmail.count({ where: { id: { in: ids }, status: { in: ["pending", "sending"] } } });
    if (left === 0) return;
    // Time passes: retries (and leases of requests that hung) come due.
    await db().outboundEmail.updateMany({ where: { id: { in: ids }, status: { in: ["pending", "sending"] } }, data: { nextAttemptAt: new Date(0), lockedUntil: new Date(0) } });
  }
}

const acceptedCount = (id: string) => sendgrid.accepted.filter((m) => m.customArgs.outbound_email_id === id).length;

const SEQUENCES = {
  "server errors": [{ status: 500 }, { status: 502 }, { status: 503 }],
  "rate limit with reset": [{ status: 429, headers: { "X-RateLimit-Reset": String(Math.floor(Date.now() / 1000)) } }, { status: 429 }],
  "dropped connections": [{ fault: "drop" as const }, { fault: "drop" as const }],
  "a hung request": [{ fault: "hang" as const }],
  "everything at once": [{ status: 500 }, { fault: "drop" as const }, { status: 429 }, { fault: "hang" as const }, { status: 503 }],
};

describe("every queued mail is accepted exactly once", () => {
  it.each(Object.entries(SEQUENCES))("under %s", async (_name, replies) => {
    const ids = await queue(4);
    sendgrid.failNext(...replies);
    await drainUntilSettled(ids);
    const rows = await db().outboundEmail.findMany({ where: { id: { in: ids } }, select: { id: true, status: true, providerMessageId: true } });
    expect(rows.map((r) => r.status)).toEqual(["sent", "sent", "sent", "sent"]);
    expect(rows.every((r) => r.providerMessageId)).toBe(true);
    for (const id of ids) expect(acceptedCount(id), id).toBe(1);
  });
});

describe("mail that cannot be sent", () => {
  it("is failed at once on a permanent refusal, with SendGrid's reason", async () => {
    const [id] = await queue(1);
    sendgrid.failNext({ status: 403, body: { errors: [{ message: "The from address does not match a verified Sender Identity" }] } });
    await drainUntilSettled([id]);
    expect(await db().outboundEmail.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "failed", attempts: 1, error: expect.stringContaining("verified Sender Identity") });
    expect(acceptedCount(id)).toBe(0);
  });

  it("is failed after 5 attempts when every attempt fails, keeping the last error", async () => {
    const [id] = await queue(1);
    sendgrid.failNext(...Array.from({ length: 5 }, () => ({ status: 500 })));
    await drainUntilSettled([id]);
    expect(await db().outboundEmail.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "failed", attempts: 5, error: expect.stringContaining("500") });
    expect(acceptedCount(id)).toBe(0);
  });
});

describe.runIf(backend === "postgres")("two senders on one Postgres", () => {
  it("drain the same outbox concurrently without sending any mail twice", async () => {
    const ids = await queue(40);
    await Promise.all([
      (async () => {
        for (let i = 0; i < 5; i++) await deliverOutbox({ ids, limit: 7 });
      })(),
      (async () => {
        for (let i = 0; i < 5; i++) await deliverOutbox({ ids, limit: 7 });
      })(),
    ]);
    await drainUntilSettled(ids);
    for (const id of ids) expect(acceptedCount(id), id).toBe(1);
  });
});

describe.runIf(backend === "postgres")("a sender killed in the middle of a drain", () => {
  it("leaves nothing unsent after a restart, and duplicates at most the mail in flight, by outbox id", async () => {
    const ids = await queue(6);
    // SendGrid takes the first mail but the answer never arrives; then the process is killed (SIGKILL).
    sendgrid.failNext({ fault: "accept-hang" });
    const root = path.resolve(__dirname, "../..");
    const child = spawn(path.join(root, "node_modules/.bin/tsx"), ["tests/support/drain-outbox.ts", ...ids], {
      cwd: root,
      env: { ...process.env, NODE_ENV: "development", SENDGRID_TIMEOUT_MS: "120000" },
      stdio: "ignore",
    });
    await expect.poll(() => sendgrid.accepted.filter((m) => ids.includes(m.customArgs.outbound_email_id)).length, { timeout: 60_000 }).toBe(1);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    const inFlight = await db().outboundEmail.count({ where: { id: { in: ids }, status: "sending" } });
    expect(inFlight).toBeGreaterThanOrEqual(1);

    // Restart: once the dead sender's lease has run out (here: made to), the next drain sends everything.
    await drainUntilSettled(ids);
    expect((await db().outboundEmail.findMany({ where: { id: { in: ids } }, select: { status: true } })).every((r) => r.status === "sent")).toBe(true);
    const copies = ids.map(acceptedCount);
    expect(copies.every((n) => n >= 1)).toBe(true);
    const duplicates = copies.reduce((sum, n) => sum + n - 1, 0);
    expect(duplicates).toBeLessThanOrEqual(inFlight);
    expect(duplicates).toBe(1);
  }, 180_000);
});
