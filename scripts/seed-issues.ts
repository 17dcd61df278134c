// `npm run db:seed-issues -- <group/project> [--count N]`: appends N (default 10,000) generated issues to a
// project in one SQL statement, to try the lists at scale. Uses DATABASE_URL, else the embedded database.
import { parseArgs } from "node:util";
import { closeDb, db, embeddedPGlite } from "@/lib/db/client";
import { connectPostgres, pgliteConnection } from "@/lib/db/connect";
import { migrate, migrationsCurrent } from "@/lib/db/migrate";
import { seedIssues } from "@/lib/db/seed-issues";
import { env } from "@/lib/env";

const USAGE = "Usage: npm run db:seed-issues -- <group/project> [--count N]   (N from 1 to 1,000,000; default 10,000)";

async function prepareDatabase() {
  const config = env();
  if (config.DATABASE_URL) {
    const conn = await connectPostgres(config.DATABASE_URL);
    try {
      if (!(await migrationsCurrent(conn))) throw new Error("The database at DATABASE_URL is not migrated: run `npm run db:migrate` first.");
    } finally {
      await conn.close();
    }
    return;
  }
  await migrate(pgliteConnection(embeddedPGlite()!, config.PGLITE_DATA_DIR, false));
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { count: { type: "string", default: "10000" } } });
  const count = Number(values.count);
  if (positionals.length !== 1 || !Number.isInteger(count) || count < 1 || count > 1_000_000) {
    console.error(USAGE);
    return 2;
  }
  const fullPath = positionals[0].toLowerCase();
  try {
    await prepareDatabase();
    const project = await db().project.findUnique({
      where: { fullPath },
      select: { id: true, memberships: { where: { role: "OWNER" }, select: { userId: true }, orderBy: { createdAt: "asc" }, take: 1 } },
    });
    if (!project) throw new Error(`No project ${fullPath}: create it first (npm run cli -- project:create ${fullPath} --owner <email>).`);
    const owner = project.memberships[0];
    if (!owner) throw new Error(`${fullPath} has no Owner to author the generated issues.`);
    const started = Date.now();
    const { firstIid, lastIid } = await seedIssues(db(), { projectId: project.id, count, authorId: owner.userId });
    // Fresh planner statistics, as autovacuum would gather on a server (the embedded database has none).
    await db().$executeRawUnsafe("ANALYZE issues, issue_labels, issue_assignees, notes, labels");
    console.log(`Added ${count.toLocaleString("en")} issues to ${fullPath} (#${firstIid}–#${lastIid}) in ${Date.now() - started} ms.`);
    return 0;
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    return 1;
  } finally {
    await closeDb().catch(() => undefined);
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
