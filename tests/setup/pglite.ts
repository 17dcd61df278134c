// setupFiles of `integration-pglite`: each test file runs in its own worker with an in-memory PGlite
// (PGLITE_DATA_DIR=memory://); migrate it through the app's own runner before the file's tests.
import { afterAll } from "vitest";
import { closeDb, embeddedPGlite } from "@/lib/db/client";
import { pgliteConnection } from "@/lib/db/connect";
import { migrate } from "@/lib/db/migrate";

const pglite = embeddedPGlite();
if (!pglite) throw new Error("integration-pglite expects the embedded database: DATABASE_URL must be empty.");
await migrate(pgliteConnection(pglite, "test PGlite (memory://)", false));

afterAll(closeDb);
