// What the production tests share: a fresh Postgres database migrated by the project's own runner (the code
// behind `npm run db:migrate`), a project with Service Desk on in it, and mail posted to a running server
// exactly as SendGrid Inbound Parse posts it.
import path from "node:path";
import pg from "pg";
import { closeDb } from "@/lib/db/client";
import { connectPostgres } from "@/lib/db/connect";
import { migrate } from "@/lib/db/migrate";
import { createProject } from "@/lib/data/projects";
import { setServiceDeskEnabled } from "@/lib/data/service-desk";
import { createUser, findActorByEmail } from "@/lib/data/users";
import { resetEnv } from "@/lib/env";
import { buildSendGridRequest } from "@/lib/mail/inbound/sendgrid-form";
import { splitFullPath } from "@/lib/schemas";
import { createDatabase, dropDatabase, maintenanceUrl, uniqueDatabaseName, withDatabase } from "../setup/db-admin";
import { ensureProductionBuild } from "../support/production-server";

export function adminUrl(): string {
  const base = process.env.TEST_DATABASE_URL?.trim();
  if (!base) throw new Error("the production tests need a Postgres server: set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres");
  return maintenanceUrl(base);
}

export interface ScratchDatabase {
  url: string;
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

/**
 * A new database on the TEST_DATABASE_URL server, migrated by lib/db/migrate (what `npm run db:migrate` runs)
 * with the migrations the standalone build carries, so that it matches the server under test exactly.
 */
export async function freshMigratedDatabase(prefix: string): Promise<ScratchDatabase> {
  const admin = adminUrl();
  const name = uniqueDatabaseName(prefix);
  await createDatabase(admin, name);
  const url = withDatabase(admin, name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // An idle connection dropped by a Postgres restart (the crash test's) must not crash the test process.
  pool.on("error", () => undefined);
  const drop = async () => {
    await pool.end();
    await dropDatabase(admin, name);
  };
  try {
    const { dir } = await ensureProductionBuild();
    const conn = await connectPostgres(url);
    try {
      await migrate(conn, { dir: path.join(dir, "prisma", "migrations") });
    } finally {
      await conn.close();
    }
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, query: async (sql, params = []) => (await pool.query(sql, params)).rows, drop };
}

/**
 * A user and a project with Service Desk on, made through the app's data layer exactly as the admin CLI's
 * `user:create` and `project:create --service-desk` do; returns the project's Service Desk address.
 */
export async function serviceDeskProject(databaseUrl: string, fullPath: string, owner: string): Promise<string> {
  process.env.DATABASE_URL = databaseUrl;
  resetEnv();
  try {
    await createUser({ email: owner, name: "Project Owner" });
    const actor = await findActorByEmail(owner);
    const parts = splitFullPath(fullPath);
    if (!actor || !parts) throw new Error(`could not set up ${fullPath} for ${owner}`);
    const project = await createProject(actor, parts);
    const { address } = await setServiceDeskEnabled(actor, project.fullPath, true);
    if (!address) throw new Error(`Service Desk on ${fullPath} has no address`);
    return address;
  } finally {
    await closeDb();
  }
}

/** POSTs `raw` to the server's inbound webhook as SendGrid's Send Raw mode does, with `secret` as `?token=` (if any). */
export async function postInbound(baseUrl: string, raw: string, secret?: string): Promise<Response> {
  const { body, contentType } = await buildSendGridRequest(raw, "raw");
  const query = secret === undefined ? "" : `?token=${encodeURIComponent(secret)}`;
  return fetch(`${baseUrl}/api/inbound/sendgrid${query}`, { method: "POST", headers: { "content-type": contentType }, body });
}
