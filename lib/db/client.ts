// The one Prisma client of this process, on embedded PGlite (no DATABASE_URL) or Postgres (DATABASE_URL).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { env } from "@/lib/env";
import { PrismaClient } from "@/lib/generated/prisma/client";
import { claimEmbeddedDir } from "./embedded-lock";

export type Db = PrismaClient;

interface Handle {
  prisma: PrismaClient;
  /** On Postgres: the connection pool Prisma's adapter uses, shared with plain SQL on hot paths (lib/db/sql.ts). */
  pool?: pg.Pool;
  /** The PGlite instance when embedded (the migration runner and tests use it directly). */
  pglite?: PGlite;
}

// Next dev re-evaluates modules on every change; the database must survive that, so it lives on globalThis.
const globalForDb = globalThis as unknown as { __serviceDeskDb?: Handle };

function isInMemory(dir: string): boolean {
  return dir.startsWith("memory://");
}

// Prisma 6.19 hands `Bytes` values to driver adapters as base64 strings and expects each adapter to convert
// them (as @prisma/adapter-pg does); pglite-prisma-adapter 0.6.1 does not, so PGlite's bytea serializer
// takes them here. pg_trgm serves the issue search's trigram indexes (migration search_index), as on Postgres.
const BYTEA_OID = 17;
const pgliteOptions = {
  extensions: { pg_trgm },
  serializers: {
    [BYTEA_OID]: (value: unknown) => {
      const bytes = typeof value === "string" ? Buffer.from(value, "base64") : Buffer.from(value as Uint8Array);
      return `\\x${bytes.toString("hex")}`;
    },
  },
};

export function openPGlite(dir: string): PGlite {
  if (isInMemory(dir)) return new PGlite(dir, pgliteOptions);
  claimEmbeddedDir(dir);
  mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  return new PGlite(dir, pgliteOptions);
}

function open(): Handle {
  const config = env();
  if (config.DATABASE_URL) {
    // pg's default pool size (10), as @prisma/adapter-pg would create it; the pool is ours so lib/db/sql.ts can use it.
    // Sessions in UTC: the columns are timestamps without time zone that Prisma fills with UTC, so now() and
    // column defaults must mean UTC too, whatever the server's own TimeZone (PGlite's is GMT).
    const pool = new pg.Pool({ connectionString: config.DATABASE_URL, options: "-c TimeZone=UTC" });
    // An idle connection that breaks (database restart) is dropped and replaced; without a listener it would crash the process.
    pool.on("error", (error) => console.error("database connection lost:", error.message));
    return { prisma: new PrismaClient({ adapter: new PrismaPg(pool) }), pool };
  }
  const pglite = openPGlite(config.PGLITE_DATA_DIR);
  return { prisma: new PrismaClient({ adapter: new PrismaPGlite(pglite) }), pglite };
}

function handle(): Handle {
  globalForDb.__serviceDeskDb ??= open();
  return globalForDb.__serviceDeskDb;
}

/** The Prisma client; opened on first use so that importing this module (e.g. during `next build`) opens nothing. */
export function db(): PrismaClient {
  return handle().prisma;
}

/** The Postgres connection pool, or undefined on embedded PGlite. */
export function postgresPool(): pg.Pool | undefined {
  return handle().pool;
}

/** The embedded PGlite instance, or undefined on Postgres. */
export function embeddedPGlite(): PGlite | undefined {
  return handle().pglite;
}

export async function closeDb(): Promise<void> {
  const current = globalForDb.__serviceDeskDb;
  globalForDb.__serviceDeskDb = undefined;
  if (!current) return;
  await current.prisma.$disconnect();
  await current.pool?.end();
  await current.pglite?.close();
}
