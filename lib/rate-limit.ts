// Fixed-window rate limits counted in the database, so every process and instance shares one count: new
// Service Desk issues per sender, REST API calls per token, sign-in links per address and per client.
// One upsert statement per hit (plain SQL: it runs for every new-issue mail and every API call); a library
// store (rate-limiter-flexible) would add little over it here.
import { sql } from "@/lib/db/sql";

/** Counts one hit for `key` in the current window and returns the count so far (including this one). */
export async function hitRateLimit(key: string, windowMs: number, now = new Date()): Promise<number> {
  const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  // An ISO string cast to timestamp keeps its UTC wall time, as Prisma stores DateTime columns.
  const rows = await sql<{ count: number }>(
    `INSERT INTO rate_limit_counters (key, window_start, count) VALUES ($1, $2::timestamp, 1)
     ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_counters.count + 1
     RETURNING count`,
    [key, windowStart.toISOString()],
  );
  return Number(rows[0].count);
}
