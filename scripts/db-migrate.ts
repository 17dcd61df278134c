// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL, or to the embedded PGlite database.
import { connectEmbedded, connectPostgres } from "@/lib/db/connect";
import { migrate } from "@/lib/db/migrate";
import { env } from "@/lib/env";

async function main() {
  const config = env();
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
