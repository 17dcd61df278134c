// Which failures are the database's passing trouble (a restart, a dropped connection, a full pool, a deadlock)
// rather than a bug or bad data: those are worth retrying later, the rest is recorded as failed at once.

// SQLSTATE classes and codes: connection exceptions (08), operator intervention (57P01–57P03: shutdown,
// crash, cannot connect now), insufficient resources (53), serialization failure and deadlock (40001, 40P01),
// lock not available (55P03), statement cancelled by a timeout (57014).
const TRANSIENT_SQLSTATE = /^(08...|53...|57P0[123]|40001|40P01|55P03|57014)$/;
const TRANSIENT_NODE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
// Prisma's: can't reach / timed out / closed connection / pool timeout / transaction API (timeouts) / write conflict.
const TRANSIENT_PRISMA = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028", "P2034"]);
// node-postgres and the driver adapters report some of these by message only.
const TRANSIENT_MESSAGE =
  /connection terminated|not queryable|timeout exceeded when trying to connect|can't reach database|server closed the connection|terminating connection|the database system is (starting up|shutting down|in recovery mode)|socket hang up|connection (refused|reset)|Transaction already closed|Unable to start a transaction/i;

/** The error and everything it wraps (cause chains, Prisma's driverAdapterError, AggregateError's errors). */
function* chain(error: unknown, depth = 0): Generator<unknown> {
  if (error === null || error === undefined || depth > 8) return;
  yield error;
  if (typeof error !== "object") return;
  const e = error as { cause?: unknown; meta?: { driverAdapterError?: unknown }; errors?: unknown[] };
  if (e.cause !== undefined && e.cause !== error) yield* chain(e.cause, depth + 1);
  if (e.meta?.driverAdapterError !== undefined && e.meta.driverAdapterError !== error) yield* chain(e.meta.driverAdapterError, depth + 1);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* chain(inner, depth + 1);
}

export function isTransientDatabaseError(error: unknown): boolean {
  for (const link of chain(error)) {
    if (typeof link !== "object" || link === null) continue;
    const { code, message, originalCode } = link as { code?: unknown; message?: unknown; originalCode?: unknown };
    for (const c of [code, originalCode])
      if (typeof c === "string" && (TRANSIENT_SQLSTATE.test(c) || TRANSIENT_NODE_CODES.has(c) || TRANSIENT_PRISMA.has(c))) return true;
    if (typeof message === "string" && TRANSIENT_MESSAGE.test(message)) return true;
  }
  return false;
}
