// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL, or to the embedded PGlite database.
// `--require-database-url` (the Vercel build) refuses to fall back to the embedded database.
import { connectEmbedded, connectPostgres } from "@/lib/db/connect";
import { migrate } from "@/lib/db/migrate";
import { databaseEnv } from "@/lib/env";

async function main() {
  const config = databaseEnv();
  if (process.argv.includes("--require-database-url") && !config.DATABASE_URL)
    throw new Error("DATABASE_URL is not set: connect a Postgres database to the project (e.g. Vercel → Storage → Neon), then redeploy.");
  const conn = config.DATABASE_URL
    ? await connectPostgres(config.DATABASE_URL)
    : await connectEmbedded(config.PGLITE_DATA_DIR);
  try {
    const result = await migrate(conn, { log: (line) => console.log(`  ${line}`) });
    console.log(
      result.applied.length
        ? `Applied ${result.applied.length} migration(s) to ${conn.description}; ${result.total} in all.`
        : `${conn.description} is up to date (${result.total} migrations).`,
    );
  } finally {
    await conn.close();
  }
}

main().catch((error: Error) => {
  console.error(`db:migrate failed: ${error.message}`);
  process.exit(1);
});
