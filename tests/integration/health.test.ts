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
