// `npm run db:migration -- <name>`: writes a new prisma/migrations/<timestamp>_<name>/migration.sql from the
// difference between schema.prisma and the existing migrations, using a throwaway PGlite directory.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("Usage: npm run db:migration -- <name>   (name: lower-case letters, digits and _)");
  process.exit(2);
}
const dir = mkdtempSync(path.join(tmpdir(), "service-desk-migration-"));
try {
  const result = spawnSync("npx", ["prisma", "migrate", "dev", "--create-only", "--name", name], {
    stdio: "inherit",
    env: { ...process.env, PGLITE_DATA_DIR: path.join(dir, "db"), PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  });
  process.exitCode = result.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
