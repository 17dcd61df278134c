// First start of the embedded database: create, migrate and seed it in the server process that owns it.
import { env } from "@/lib/env";
import { db, embeddedPGlite } from "./client";
import { pgliteConnection } from "./connect";
import { migrate } from "./migrate";
import { seedDemo } from "./seed";

export async function prepareEmbeddedDatabase(log: (line: string) => void = console.log): Promise<void> {
  const config = env();
  if (!config.isEmbeddedDb) return;
  const pglite = embeddedPGlite()!;
  await pglite.waitReady;
  const result = await migrate(pgliteConnection(pglite, config.PGLITE_DATA_DIR, false));
  if (result.applied.length) log(`Embedded database ${config.PGLITE_DATA_DIR}: applied ${result.applied.length} migration(s).`);
  if (await seedDemo(db())) log(`Embedded database seeded: sign in as demo@example.com (the link appears at ${config.APP_URL}/dev/mailbox).`);
}
