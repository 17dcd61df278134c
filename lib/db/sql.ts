// Plain SQL for intake's hot path, on the same database as Prisma: Prisma 6's client engine serialises every
// query with its values to JSON and compiles it on the event loop, which for a mail's 60 KB payload and 40 KB
// attachments cost more CPU than everything else a mail needs (docs/PERFORMANCE.md). On Postgres this runs on
// the pool Prisma's adapter uses; on embedded PGlite (one session, where speed is not the point) through Prisma.
import { db, postgresPool } from "./client";

// No Date: node-postgres would send it in the process's time zone, Prisma in UTC. Use now() (sessions run in
// UTC, lib/db/client.ts) or ISO strings cast to timestamp.
export type SqlValue = string | number | boolean | null | Uint8Array | (string | null)[] | boolean[];

/**
 * One statement (`$1`… placeholders), committed on its own: several writes that belong together go in one
 * statement as data-modifying CTEs.
 */
export async function sql<Row = Record<string, unknown>>(text: string, values: SqlValue[] = []): Promise<Row[]> {
  const pool = postgresPool();
  if (pool) return (await pool.query(text, values)).rows as Row[];
  return db().$queryRawUnsafe<Row[]>(text, ...values);
}
