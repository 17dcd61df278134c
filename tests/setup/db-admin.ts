// Scratch Postgres databases for tests: created through the server's maintenance database and dropped after.
import { randomBytes } from "node:crypto";
import pg from "pg";

/** The same server and credentials as `url`, but the `postgres` maintenance database. */
export function maintenanceUrl(url: string): string {
  const u = new URL(url);
  u.pathname = "/postgres";
  return u.toString();
}

/** `url` pointing at database `name` instead. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A database name that is unique per call and recognisable (`prefix_<time>_<random>`). */
export function uniqueDatabaseName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
}

async function onMaintenance<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const ident = (name: string) => {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unsafe database name: ${name}`);
  return `"${name}"`;
};

export async function createDatabase(adminUrl: string, name: string): Promise<void> {
  await onMaintenance(adminUrl, (c) => c.query(`CREATE DATABASE ${ident(name)}`));
}

/** Drops the database even if a connection was left open (Postgres 13+). */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await onMaintenance(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`));
}
