// The migration runner: applies prisma/migrations/*/migration.sql in order to Postgres or PGlite, under an
// advisory lock, recording `_prisma_migrations` rows exactly as Prisma does (Prisma's own `migrate deploy`
// cannot talk to Postgres through a driver adapter in 6.19 — prisma/orm#27403).
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** The little a runner needs from a connection; both `pg.Client` and `PGlite` provide it. */
export interface SqlConnection {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<unknown>;
}

export class MigrationError extends Error {}

// Prisma's own lock id, so our runner and Prisma's CLI never migrate the same database at once.
const ADVISORY_LOCK_ID = 72707369;

export const MIGRATIONS_DIR = path.join(process.cwd(), "prisma", "migrations");

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  if (!existsSync(/*turbopackIgnore: true*/ dir)) throw new MigrationError(`No migrations folder at ${dir}.`);
  // The folder is shipped explicitly (next.config.mjs outputFileTracingIncludes), so the bundler need not trace it.
  return readdirSync(/*turbopackIgnore: true*/ dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(/*turbopackIgnore: true*/ path.join(dir, e.name, "migration.sql")))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(/*turbopackIgnore: true*/ path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
}

/** Compares the files with what the database has applied: the names still to apply, or an error. */
function pending(files: MigrationFile[], applied: AppliedRow[]): MigrationFile[] {
  const byName = new Map(applied.map((r) => [r.migration_name, r]));
  for (const row of applied) {
    if (!row.finished_at)
      throw new MigrationError(
        `Migration ${row.migration_name} was started but never finished; fix the database by hand, then delete its _prisma_migrations row.`,
      );
  }
  const todo: MigrationFile[] = [];
  for (const file of files) {
    const row = byName.get(file.name);
    if (!row) todo.push(file);
    else if (row.checksum !== file.checksum)
      throw new MigrationError(
        `Migration ${file.name} was changed after it was applied (checksum mismatch). Applied migrations must not be edited: restore the file and add a new migration instead.`,
      );
  }
  return todo;
}

export interface MigrateResult {
  applied: string[];
  total: number;
}

export async function migrate(
  conn: SqlConnection,
  options: { dir?: string; log?: (line: string) => void } = {},
): Promise<MigrateResult> {
  const files = readMigrations(options.dir);
  await conn.query("SELECT pg_advisory_lock($1)", [ADVISORY_LOCK_ID]);
  try {
    await conn.exec(CREATE_TABLE);
    const { rows } = await conn.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    );
    const todo = pending(files, rows);
    for (const file of todo) {
      await conn.exec("BEGIN");
      try {
        const id = randomUUID();
        await conn.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
          [id, file.checksum, file.name],
        );
        await conn.exec(file.sql);
        await conn.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [id]);
        await conn.exec("COMMIT");
      } catch (error) {
        await conn.exec("ROLLBACK");
        throw new MigrationError(`Migration ${file.name} failed: ${(error as Error).message}`);
      }
      options.log?.(`applied ${file.name}`);
    }
    return { applied: todo.map((f) => f.name), total: files.length };
  } finally {
    await conn.query("SELECT pg_advisory_unlock($1)", [ADVISORY_LOCK_ID]);
  }
}

/** True when every migration file is applied with its recorded checksum (for health checks and tests). */
export async function migrationsCurrent(conn: SqlConnection, dir?: string): Promise<boolean> {
  const { rows: exists } = await conn.query<{ t: string | null }>(`SELECT to_regclass('_prisma_migrations')::text AS t`);
  if (!exists[0]?.t) return false;
  const { rows } = await conn.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
  );
  try {
    return pending(readMigrations(dir), rows).length === 0;
  } catch {
    return false;
  }
}
