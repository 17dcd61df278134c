// setupFiles of `integration-postgres`: point lib/env at the run's database before anything reads it.
import { afterAll, inject } from "vitest";

process.env.DATABASE_URL = inject("databaseUrl");

afterAll(async () => {
  const { closeDb } = await import("@/lib/db/client");
  await closeDb();
});
