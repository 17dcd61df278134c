// What the server does before it takes requests (called from instrumentation.ts).
import { prepareEmbeddedDatabase } from "@/lib/db/bootstrap";
import { connectPostgres } from "@/lib/db/connect";
import { migrationsCurrent } from "@/lib/db/migrate";
import { ConfigError, env } from "@/lib/env";
import { precompileDefaultTemplates } from "@/lib/service-desk/templates";

export async function startServer(): Promise<void> {
  try {
    env();
  } catch (error) {
    if (error instanceof ConfigError) {
      // One line per problem, each naming its variable, then stop: a half-configured server must not take traffic.
      for (const problem of error.problems) console.error(`Service Desk cannot start: ${problem}`);
      process.exit(1);
    }
    throw error;
  }
  // `next build` registers instrumentation too, while it prerenders pages: it must not open (and lock) the
  // embedded database a dev server may own, nor need a database at all.
  if (env().NEXT_PHASE === "phase-production-build") return;
  try {
    await prepareEmbeddedDatabase();
    await checkPostgresMigrated();
    // The first template compile takes ~0.4 s; do it now rather than inside the first mail's transaction.
    void precompileDefaultTemplates().catch((error) => console.error("Could not precompile email templates:", error));
  } catch (error) {
    console.error(`Service Desk cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
}

// On Postgres the server never migrates by itself (several instances may start at once): it refuses to
// run against a schema that does not match its code.
async function checkPostgresMigrated(): Promise<void> {
  const url = env().DATABASE_URL;
  if (!url) return;
  const conn = await connectPostgres(url);
  try {
    if (!(await migrationsCurrent(conn)))
      throw new Error("the database at DATABASE_URL is not migrated to this version: run `npm run db:migrate` first.");
  } finally {
    await conn.close();
  }
}
