// /api/health: 200 with the backlog when the database is up and migrated; 503 when a migration is missing.
import { describe, expect, it } from "vitest";
import { GET } from "@/app/api/health/route";
import { db } from "@/lib/db/client";

describe("GET /api/health", () => {
  it("answers 200 with database, migrations and mail backlog", async () => {
    await db().outboundEmail.create({
      data: { kind: "test", to: "a@example.com", fromEmail: "s@example.com", subject: "s", text: "t", html: "h", status: "pending", transport: "sendgrid" },
    });
    const response = await GET();
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ status: "ok", database: "ok", migrations: "current", outbox: { pending: expect.any(Number) }, inbound: { failed: expect.any(Number) } });
    expect(body.outbox.pending).toBeGreaterThanOrEqual(1);
    expect(body.outbox.oldest_pending_seconds).toBeGreaterThanOrEqual(0);
    expect(body.outbox).toMatchObject({ retrying: expect.any(Number), overdue: expect.any(Number) });
    expect(body.inbound).toMatchObject({ received: expect.any(Number), stuck: expect.any(Number) });
  });

  it("reports outgoing mail SendGrid keeps refusing, and mail nothing has drained for minutes", async () => {
    const base = { kind: "test", fromEmail: "s@example.com", subject: "s", text: "t", html: "h", status: "pending", transport: "sendgrid" };
    const before = (await (await GET()).json()).outbox;
    // One refused for two hours now; one queued ten minutes ago that nobody has tried.
    await db().outboundEmail.create({ data: { ...base, to: "r@example.com", attempts: 3, firstAttemptAt: new Date(Date.now() - 2 * 3_600_000), nextAttemptAt: new Date(Date.now() + 60_000) } });
    await db().outboundEmail.create({ data: { ...base, to: "o@example.com", createdAt: new Date(Date.now() - 10 * 60_000) } });
    const after = (await (await GET()).json()).outbox;
    expect(after.retrying).toBe(before.retrying + 1);
    expect(after.overdue).toBe(before.overdue + 1);
    expect(after.oldest_retrying_seconds).toBeGreaterThanOrEqual(2 * 3_600 - 5);
  });

  it("answers 503 when the database lacks a migration", async () => {
    const [last] = await db().$queryRawUnsafe<{ id: string; checksum: string }[]>(
      `SELECT id, checksum FROM "_prisma_migrations" ORDER BY migration_name DESC LIMIT 1`,
    );
    await db().$executeRawUnsafe(`UPDATE "_prisma_migrations" SET checksum = 'tampered' WHERE id = $1`, last.id);
    try {
      const response = await GET();
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: "unavailable", database: "ok", migrations: "pending" });
    } finally {
      await db().$executeRawUnsafe(`UPDATE "_prisma_migrations" SET checksum = $2 WHERE id = $1`, last.id, last.checksum);
    }
  });
});
