// The migration runner (lib/db/migrate.ts) against a scratch database of the project's backend: a fresh
// in-memory PGlite, or a new database on the Postgres server of the run.
import { createHash, randomUUID } from "node:crypto";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterEach, describe, expect, inject, it } from "vitest";
import { connectPostgres, pgliteConnection, type RawConnection } from "@/lib/db/connect";
import { migrate, MigrationError, MIGRATIONS_DIR, migrationsCurrent, readMigrations } from "@/lib/db/migrate";
import { createDatabase, dropDatabase, uniqueDatabaseName, withDatabase } from "../setup/db-admin";
import { backend } from "./helpers";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An empty database of this run's backend. */
async function scratchDatabase(): Promise<RawConnection> {
  if (backend === "pglite") {
    const pglite = new PGlite();
    await pglite.waitReady;
    const conn = pgliteConnection(pglite, "scratch PGlite", true);
    cleanups.push(() => conn.close());
    return conn;
  }
  const admin = inject("adminDatabaseUrl");
  const name = uniqueDatabaseName("sd_scratch");
  await createDatabase(admin, name);
  cleanups.push(() => dropDatabase(admin, name));
  const conn = await connectPostgres(withDatabase(admin, name));
  cleanups.push(() => conn.close());
  return conn;
}

/** A copy of prisma/migrations that a test may edit. */
function migrationsCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "sd-migrations-"));
  cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function addMigration(dir: string, name: string, sql: string) {
  mkdirSync(path.join(dir, name));
  writeFileSync(path.join(dir, name, "migration.sql"), sql);
}

interface MigrationRow {
  id: string;
  migration_name: string;
  checksum: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

const rowsOf = async (conn: RawConnection) =>
  (await conn.query<MigrationRow>(`SELECT * FROM "_prisma_migrations" ORDER BY migration_name`)).rows;

const tableExists = async (conn: RawConnection, table: string) =>
  (await conn.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [table])).rows[0].t !== null;

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => new Error("expected a rejection"),
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(MigrationError);
  return error;
}

const files = readMigrations();

describe(`migrate (${backend})`, () => {
  it("has migrations to test with", () => {
    expect(files.length).toBeGreaterThan(0);
    expect(files.map((f) => f.name)).toEqual([...files.map((f) => f.name)].sort());
  });

  it("applies every migration once, records it like Prisma, and then applies nothing", async () => {
    const conn = await scratchDatabase();
    expect(await migrationsCurrent(conn)).toBe(false);

    const first = await migrate(conn);
    expect(first).toEqual({ applied: files.map((f) => f.name), total: files.length });
    expect(await tableExists(conn, "users")).toBe(true);
    expect(await tableExists(conn, "projects")).toBe(true);
    expect(await migrationsCurrent(conn)).toBe(true);

    const second = await migrate(conn);
    expect(second).toEqual({ applied: [], total: files.length });

    const rows = await rowsOf(conn);
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const row of rows) {
      const sql = readFileSync(path.join(MIGRATIONS_DIR, row.migration_name, "migration.sql"));
      expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(new Date(row.started_at).getTime());
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("applies only what is new, and migrationsCurrent tells when something is pending", async () => {
    const conn = await scratchDatabase();
    const dir = migrationsCopy();
    await migrate(conn, { dir });
    addMigration(dir, "29990101000000_add_probe", `CREATE TABLE "probe" ("id" INTEGER PRIMARY KEY);`);
    expect(await migrationsCurrent(conn, dir)).toBe(false);
    expect(await migrationsCurrent(conn)).toBe(true); // the real folder has nothing new

    const log: string[] = [];
    expect(await migrate(conn, { dir, log: (line) => log.push(line) })).toEqual({
      applied: ["29990101000000_add_probe"],
      total: files.length + 1,
    });
    expect(log).toEqual(["applied 29990101000000_add_probe"]);
    expect(await tableExists(conn, "probe")).toBe(true);
    expect(await migrationsCurrent(conn, dir)).toBe(true);
  });

  it("refuses to run when an applied migration was edited", async () => {
    const conn = await scratchDatabase();
    const dir = migrationsCopy();
    await migrate(conn, { dir });
    const file = path.join(dir, files[0].name, "migration.sql");
    const original = readFileSync(file, "utf8");
    appendFileSync(file, "\n-- an innocent-looking edit\n");

    const error = await rejection(migrate(conn, { dir }));
    expect(error.message).toMatch(/checksum/);
    expect(error.message).toContain(files[0].name);
    expect(await migrationsCurrent(conn, dir)).toBe(false);
    // A new migration is not applied past the mismatch either.
    addMigration(dir, "29990101000000_after_edit", `CREATE TABLE "after_edit" ("id" INTEGER);`);
    await rejection(migrate(conn, { dir }));
    expect(await tableExists(conn, "after_edit")).toBe(false);

    writeFileSync(file, original);
    expect((await migrate(conn, { dir })).applied).toEqual(["29990101000000_after_edit"]);
  });

  it("rolls a failing migration back completely, records nothing, and can run again once fixed", async () => {
    const conn = await scratchDatabase();
    const dir = migrationsCopy();
    const name = "29990101000000_broken";
    addMigration(dir, name, `CREATE TABLE "half_done" ("id" INTEGER);\nINSERT INTO "no_such_table" VALUES (1);\n`);

    const error = await rejection(migrate(conn, { dir }));
    expect(error.message).toContain(name);
    expect(error.message).toMatch(/no_such_table/);

    // The good migrations before it stay applied; the broken one left neither a table nor a row.
    const rows = await rowsOf(conn);
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    expect(await tableExists(conn, "users")).toBe(true);
    expect(await tableExists(conn, "half_done")).toBe(false);
    expect(await migrationsCurrent(conn, dir)).toBe(false);
    // …and the advisory lock was released.
    const locks = await conn.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()`,
    );
    expect(locks.rows[0].n).toBe(0);

    writeFileSync(path.join(dir, name, "migration.sql"), `CREATE TABLE "half_done" ("id" INTEGER);\n`);
    expect((await migrate(conn, { dir })).applied).toEqual([name]);
    expect(await tableExists(conn, "half_done")).toBe(true);
    expect(await migrationsCurrent(conn, dir)).toBe(true);
  });

  it("refuses to go on after a migration that started but never finished", async () => {
    const conn = await scratchDatabase();
    await migrate(conn);
    await conn.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, applied_steps_count) VALUES ($1, $2, $3, 0)`,
      [randomUUID(), "0".repeat(64), "29990101000000_crashed"],
    );
    const error = await rejection(migrate(conn));
    expect(error.message).toMatch(/never finished/);
    expect(error.message).toContain("29990101000000_crashed");
    expect(await migrationsCurrent(conn)).toBe(false);
  });

  it("reports a missing migrations folder", async () => {
    const conn = await scratchDatabase();
    const error = await rejection(migrate(conn, { dir: path.join(tmpdir(), `nowhere-${randomUUID()}`) }));
    expect(error.message).toMatch(/No migrations folder/);
    expect(await tableExists(conn, "_prisma_migrations")).toBe(false);
  });

  it.runIf(backend === "postgres")("serialises two runners on one database (advisory lock)", async () => {
    const first = await scratchDatabase();
    const admin = inject("adminDatabaseUrl");
    // A second session on the same scratch database.
    const dbName = (await first.query<{ d: string }>("SELECT current_database() AS d")).rows[0].d;
    const second = await connectPostgres(withDatabase(admin, dbName));
    cleanups.push(() => second.close());
    const [a, b] = await Promise.all([migrate(first), migrate(second)]);
    expect([...a.applied, ...b.applied].sort()).toEqual(files.map((f) => f.name));
    expect(Math.min(a.applied.length, b.applied.length)).toBe(0);
    expect((await rowsOf(first)).length).toBe(files.length);
  });
});
