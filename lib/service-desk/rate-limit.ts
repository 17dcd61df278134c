// Fixed-window rate limits counted in the database, so every process and instance shares one count.
// One upsert statement per hit; a library store (rate-limiter-flexible) would add little over it here.
import type { Db } from "@/lib/db/client";

/** Counts one hit for `key` in the current window and returns the count so far (including this one). */
export async function hitRateLimit(tx: Pick<Db, "$queryRaw">, key: string, windowMs: number, now = new Date()): Promise<number> {
  const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
  const rows = await tx.$queryRaw<{ count: number }[]>`
    INSERT INTO rate_limit_counters (key, window_start, count) VALUES (${key}, ${windowStart}, 1)
    ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_counters.count + 1
    RETURNING count`;
  return Number(rows[0].count);
}
