// `npm run db:migration -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql from the
// difference between schema.prisma and what the existing migrations build. Works offline: the migrations
// are applied to a throwaway PGlite directory by our runner, Prisma introspects it (`db pull`) and diffs
// that against the schema (`migrate diff`). `prisma migrate dev` cannot be used: through the PGlite
// adapter it fails to replay multi-statement migrations ("cannot insert multiple commands into a prepared
// statement").
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connectEmbedded } from "@/lib/db/connect";
import { MIGRATIONS_DIR, migrate } from "@/lib/db/migrate";

function prisma(args: string[], env: NodeJS.ProcessEnv) {
  const result = spawnSync(path.join("node_modules", ".bin", "prisma"), args, { encoding: "utf8", env: { ...env, PRISMA_HIDE_UPDATE_MESSAGE: "1" } });
  if (result.error) throw result.error;
  return result;
}

async function main() {
  const name = process.argv[2];
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    console.error("Usage: npm run db:migration -- <name>   (name: lower-case letters, digits and _)");
    return 2;
  }
  const work = mkdtempSync(path.join(tmpdir(), "service-desk-migration-"));
  try {
    const dataDir = path.join(work, "db");
    const conn = await connectEmbedded(dataDir);
    await migrate(conn);
    await conn.close();
    rmSync(`${dataDir}.lock`, { force: true });

    const env = { ...process.env, PGLITE_DATA_DIR: dataDir };
    const pulled = prisma(["db", "pull", "--print", "--schema", "prisma/schema.prisma"], env);
    const schemaStart = pulled.stdout.search(/^generator /m);
    if (pulled.status !== 0 || schemaStart < 0) throw new Error(`prisma db pull failed:\n${pulled.stderr}${pulled.stdout}`);
    const current = path.join(work, "current.prisma");
    writeFileSync(current, pulled.stdout.slice(schemaStart));

    const diff = prisma(["migrate", "diff", "--from-schema-datamodel", current, "--to-schema-datamodel", "prisma/schema.prisma", "--script", "--exit-code"], env);
    if (diff.status === 0) {
      console.log("schema.prisma matches the migrations: nothing to write.");
      return 0;
    }
    if (diff.status !== 2) throw new Error(`prisma migrate diff failed:\n${diff.stderr}`);
    const sql = diff.stdout.slice(diff.stdout.search(/^--/m));

    const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const folder = path.join(MIGRATIONS_DIR, `${stamp}_${name}`);
    mkdirSync(folder);
    writeFileSync(path.join(folder, "migration.sql"), sql);
    // Prove the new file applies on top of the others before anyone commits it.
    const check = await connectEmbedded(dataDir);
    try {
      await migrate(check);
    } finally {
      await check.close();
    }
    console.log(`Wrote ${path.relative(process.cwd(), folder)}/migration.sql (applies cleanly). Review it, then run npm run db:migrate.`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    console.error(`db:migration failed: ${error.message}`);
    process.exitCode = 1;
  },
);
