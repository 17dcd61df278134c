// globalSetup of the `integration-postgres` project: one fresh, migrated database per run on the server named
// by TEST_DATABASE_URL, handed to the workers through `provide`, dropped at teardown.
import type { TestProject } from "vitest/node";
import { connectPostgres } from "@/lib/db/connect";
import { migrate } from "@/lib/db/migrate";
import { createDatabase, dropDatabase, maintenanceUrl, uniqueDatabaseName, withDatabase } from "./db-admin";

declare module "vitest" {
  export interface ProvidedContext {
    /** The migrated database of this run (integration-postgres only). */
    databaseUrl: string;
    /** The server's maintenance database, for tests that make scratch databases (integration-postgres only). */
    adminDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("integration-postgres needs TEST_DATABASE_URL");
  const admin = maintenanceUrl(base);
  const name = uniqueDatabaseName("sd_test");
  await createDatabase(admin, name);
  const url = withDatabase(base, name);
  try {
    const conn = await connectPostgres(url);
    try {
      await migrate(conn);
    } finally {
      await conn.close();
    }
  } catch (error) {
    await dropDatabase(admin, name);
    throw error;
  }
  console.log(`[integration-postgres] fresh database ${name} on ${new URL(url).host}`);
  project.provide("databaseUrl", url);
  project.provide("adminDatabaseUrl", admin);
  return async () => {
    await dropDatabase(admin, name);
    console.log(`[integration-postgres] dropped ${name}`);
  };
}
