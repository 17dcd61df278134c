// The outbox under a misbehaving SendGrid (the local SendGrid-compatible server scripted to answer 500, 429 with
// a reset, drop the connection or hang): every queued mail is eventually accepted exactly once, identified by
// its outbox id; a permanent refusal ends as `failed` at once. On a simulated clock, a mail outlives 30 hours of
// SendGrid failing and is given up (`failed`, with the error) only 48 hours after its first attempt. A database
// that fails the outcome write briefly only pauses the drain. On Postgres, two senders draining one outbox at
// once never send a mail twice, and a sender killed mid-drain (SIGKILL) leaves nothing unsent and at most its
// in-flight mail sent twice.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { db } from "@/lib/db/client";
import { deliverOutbox, enqueueMail, RETRY_WINDOW_MS } from "@/lib/mail/outbox";
import { startFakeSendGrid, type FakeSendGrid } from "../support/sendgrid-server";
import { backend, uid, withEnv } from "./helpers";

// The outcome write (one UPDATE … FROM unnest per batch) can be made to fail, as a database restart would.
const faults = vi.hoisted(() => ({ failOutcomeWrites: 0, outcomeWrites: 0 }));
vi.mock("@/lib/db/sql", async (importOriginal) => {
  const original = await importOriginal<typeof import("@/lib/db/sql")>();
  const sql: typeof original.sql = async (text, values) => {
    if (text.trimStart().startsWith("UPDATE outbound_emails o SET")) {
      faults.outcomeWrites++;
      if (faults.failOutcomeWrites > 0) {
        faults.failOutcomeWrites--;
        throw Object.assign(new Error("Connection terminated unexpectedly"), { code: "ECONNRESET" });
      }
    }
    return original.sql(text, values);
  };
  return { ...original, sql };
});

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

});

describe("a long SendGrid outage, on a simulated clock", () => {
  const HOUR = 3_600_000;

  /**
   * Drains `id` the way a scheduler would while SendGrid is down: the clock jumps to the row's next attempt, a
   * drain runs then, and so on while the row is queued and the clock is before `until`. The times of the attempts.
   */
  async function fastForward(id: string, start: number, until: number) {
    const attempts: number[] = [];
    let clock = start;
    for (;;) {
      const row = await db().outboundEmail.findUniqueOrThrow({ where: { id } });
      clock = Math.max(clock, row.nextAttemptAt?.getTime() ?? clock);
      if (row.status !== "pending" || clock > until) return { row, attempts };
      const requests = sendgrid.requests;
      await deliverOutbox({ ids: [id], now: () => new Date(clock) });
      expect(sendgrid.requests - requests, "one request per due attempt").toBe(1);
      attempts.push(clock);
    }
  }

  it("keeps a mail queued through 30 hours of SendGrid failing, and sends it exactly once when SendGrid is back", async () => {
    const [id] = await queue(1);
    const start = Date.now();
    sendgrid.outage({ status: 503, body: { errors: [{ message: "Service Unavailable" }] } });
    const { row, attempts } = await fastForward(id, start, start + 30 * HOUR).finally(() => sendgrid.recover());
    expect(row).toMatchObject({ status: "pending", error: expect.stringContaining("503"), attempts: attempts.length });
    expect(row.firstAttemptAt!.getTime()).toBe(start);
    // Quick at first (10 s ± 20 %, then 30 s …), then about hourly: a few dozen requests in 30 hours, not thousands.
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(8_000);
    expect(attempts[1] - attempts[0]).toBeLessThanOrEqual(12_000);
    expect(attempts.length).toBeGreaterThan(30);
    expect(attempts.length).toBeLessThan(60);

    // SendGrid is back. Before the mail's next attempt is due a drain leaves it alone; then it is sent, once.
    const due = row.nextAttemptAt!;
    expect(await deliverOutbox({ ids: [id], now: () => new Date(due.getTime() - 1_000) })).toMatchObject({ sent: 0, retrying: 0 });
    expect(await deliverOutbox({ ids: [id], now: () => due })).toMatchObject({ sent: 1, failed: 0, retrying: 0 });
    expect(await db().outboundEmail.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "sent", error: null, sentAt: due, attempts: attempts.length + 1 });
    await deliverOutbox({ ids: [id], now: () => new Date(due.getTime() + HOUR) });
    expect(acceptedCount(id)).toBe(1);
  });

  it("gives a mail up (failed, keeping the last error) only 48 hours after its first attempt", async () => {
    const [id] = await queue(1);
    const start = Date.now();
    sendgrid.outage({ status: 500, body: { errors: [{ message: "Internal Server Error" }] } });
    const { row, attempts } = await fastForward(id, start, Infinity).finally(() => sendgrid.recover());
    expect(row).toMatchObject({ status: "failed", attempts: attempts.length, error: expect.stringMatching(/SendGrid 500.*no more retries/) });
    // The last attempt is at the end of the window, and none is more than an hour after the one before.
    expect(attempts.at(-1)! - start).toBe(RETRY_WINDOW_MS);
    expect(RETRY_WINDOW_MS).toBeGreaterThanOrEqual(24 * HOUR);
    expect(Math.max(...attempts.slice(1).map((at, i) => at - attempts[i]))).toBeLessThanOrEqual(HOUR);
    expect(acceptedCount(id)).toBe(0);
  });
});

describe("a database failing the outcome write", () => {
  it("only pauses the drain when it fails briefly: every mail is recorded as sent, once", async () => {
    const ids = await queue(4);
    faults.failOutcomeWrites = 2;
    const writes = faults.outcomeWrites;
    expect(await deliverOutbox({ ids })).toMatchObject({ sent: 4, failed: 0, retrying: 0 });
    expect(faults.outcomeWrites - writes).toBeGreaterThanOrEqual(3);
    const rows = await db().outboundEmail.findMany({ where: { id: { in: ids } }, select: { status: true, providerMessageId: true, lockedUntil: true } });
    expect(rows).toEqual(ids.map(() => ({ status: "sent", providerMessageId: expect.any(String), lockedUntil: null })));
    for (const id of ids) expect(acceptedCount(id)).toBe(1);
  });

  it("stops the drain when it stays down; the rows' lease brings the mail back, and nothing is lost", async () => {
    const ids = await queue(8);
    // Slow answers, so the first outcome write fails while most of the mail is still to be sent.
    sendgrid.failNext(...ids.map(() => ({ acceptAfterMs: 60 })));
    faults.failOutcomeWrites = Number.POSITIVE_INFINITY;
    try {
      await expect(deliverOutbox({ ids })).rejects.toThrow("Connection terminated unexpectedly");
    } finally {
      faults.failOutcomeWrites = 0;
    }
    const sentBefore = ids.filter((id) => acceptedCount(id) > 0).length;
    expect(sentBefore).toBeGreaterThan(0);
    expect(sentBefore).toBeLessThan(ids.length);
    // Claimed, unrecorded: every row is still `sending` under its lease, none is lost.
    expect(await db().outboundEmail.count({ where: { id: { in: ids }, status: "sending" } })).toBe(ids.length);

    await drainUntilSettled(ids);
    expect((await db().outboundEmail.findMany({ where: { id: { in: ids } }, select: { status: true } })).every((r) => r.status === "sent")).toBe(true);
    const copies = ids.map(acceptedCount);
    expect(copies.every((n) => n >= 1)).toBe(true);
    // Only the mail sent while its outcome could not be written goes out twice.
    expect(copies.reduce((sum, n) => sum + n - 1, 0)).toBe(sentBefore);
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
