// The bench's database: a fresh Postgres database per run (dropped afterwards), migrated by the app's own
// runner, with the projects, members, a signed-in session and the bulk data each measurement needs, seeded
// with SQL. Runs inside the bench process after process.env.DATABASE_URL points at the new database.
import { randomBytes } from "node:crypto";
import { createDatabase, dropDatabase, uniqueDatabaseName, withDatabase } from "@/tests/setup/db-admin";
import { connectPostgres } from "@/lib/db/connect";
import { migrate } from "@/lib/db/migrate";

export const DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = uniqueDatabaseName("sd_bench");
  await createDatabase(adminUrl, name);
  const url = withDatabase(adminUrl, name);
  const conn = await connectPostgres(url);
  try {
    await migrate(conn);
  } finally {
    await conn.close();
  }
  return { url, name, drop: () => dropDatabase(adminUrl, name) };
}

export interface Fixtures {
  owner: { id: string; email: string };
  agent: { id: string; email: string };
  /** The next-auth session token of `agent` (a Reporter in every project). */
  sessionToken: string;
  projects: { small: BenchProject; large: BenchProject; intake: BenchProject; baseline: BenchProject; watched: BenchProject };
}

export interface BenchProject {
  id: number;
  fullPath: string;
  address: string;
}

const SESSION_DAYS = 1;

/** Users, projects (Service Desk on), memberships and a session, through the app's own data functions. */
export async function makeFixtures(): Promise<Fixtures> {
  const { createUser } = await import("@/lib/data/users");
  const { createProject } = await import("@/lib/data/projects");
  const { addMember } = await import("@/lib/data/members");
  const { setServiceDeskEnabled } = await import("@/lib/data/service-desk");
  const { serviceDeskAddress } = await import("@/lib/service-desk/address");
  const { db } = await import("@/lib/db/client");
  const tag = randomBytes(3).toString("hex");
  const owner = await createUser({ email: `owner-${tag}@bench.example`, name: "Bench Owner" });
  const agent = await createUser({ email: `agent-${tag}@bench.example`, name: "Bench Agent" });
  const project = async (path: string): Promise<BenchProject> => {
    const created = await createProject(owner, { namespace: "bench", path: `${path}-${tag}` });
    await addMember(owner, created.fullPath, agent.email, "REPORTER");
    await setServiceDeskEnabled(owner, created.fullPath, true);
    return { id: created.id, fullPath: created.fullPath, address: serviceDeskAddress(created) };
  };
  const projects = {
    small: await project("small"),
    large: await project("large"),
    intake: await project("intake"),
    baseline: await project("baseline"),
    watched: await project("watched"),
  };
  const sessionToken = randomBytes(32).toString("hex");
  await db().session.create({ data: { sessionToken, userId: agent.id, expires: new Date(Date.now() + SESSION_DAYS * 86_400_000) } });
  return { owner, agent, sessionToken, projects };
}

/** `count` members of the project who watch it (every new request mails each of them), seeded with SQL. */
export async function seedWatchers(projectId: number, count: number): Promise<void> {
  const { db } = await import("@/lib/db/client");
  await db().$executeRawUnsafe(
    `WITH made AS (
       INSERT INTO users (id, email, username, name, notification_level, created_at, updated_at)
       SELECT 'watcher-' || $1::int || '-' || g, 'watcher' || g || '-' || $1::int || '@bench.example', 'watcher' || g || '-' || $1::int, 'Watcher ' || g, 'participating', now(), now()
       FROM generate_series(1, $2::int) AS g
       RETURNING id),
     joined AS (
       INSERT INTO memberships (id, project_id, user_id, role, created_at, updated_at)
       SELECT 'm-' || made.id, $1::int, made.id, 'REPORTER', now(), now() FROM made)
     INSERT INTO project_notification_settings (user_id, project_id, level, updated_at) SELECT made.id, $1::int, 'watch', now() FROM made`,
    projectId,
    count,
  );
}

/** The word the text-search measurement looks for; a fixed handful of issues carry it at every project size. */
export const RARE_WORD = "kaleidoscope";
const RARE_ISSUES = 5;

/** `count` issues in the project (the seed-issues generator: a third are Service Desk requests), 5 of them with RARE_WORD. */
export async function seedTracker(projectId: number, ownerId: string, count: number): Promise<void> {
  const { db } = await import("@/lib/db/client");
  const { seedIssues } = await import("@/lib/db/seed-issues");
  const { firstIid } = await seedIssues(db(), { projectId, count, authorId: ownerId });
  // Issue g is a Service Desk request when g % 3 = 0 and closed when g % 4 = 2: g = 3 + 12k is an open request.
  const step = Math.max(12, Math.floor(count / RARE_ISSUES / 12) * 12);
  const iids = Array.from({ length: RARE_ISSUES }, (_, k) => firstIid - 1 + 3 + k * step).filter((iid) => iid < firstIid + count);
  await db().$executeRawUnsafe(
    `UPDATE issues SET title = 'The ${RARE_WORD} widget is broken (' || iid || ')' WHERE project_id = $1 AND iid = ANY($2::int[])`,
    projectId,
    iids,
  );
  // What autovacuum does on a server after a bulk insert: planner statistics, the visibility map (index-only
  // counts) and the trigram indexes' pending lists merged (a GIN index filled by one big INSERT keeps its new
  // entries in a pending list that every search would scan).
  await db().$executeRawUnsafe("VACUUM ANALYZE issues, notes, issue_labels, issue_assignees, labels");
}

/**
 * One Service Desk issue with `notes` comments (alternating customer mail and team answers, each distinct
 * Markdown with emphasis, code, a link and a list). Returns its iid.
 */
export async function seedThread(projectId: number, authorId: string, notes: number): Promise<number> {
  const { db } = await import("@/lib/db/client");
  const rows = await db().$queryRawUnsafe<{ iid: number }[]>(
    `WITH bump AS (UPDATE projects SET last_issue_iid = last_issue_iid + 1 WHERE id = $1 RETURNING last_issue_iid AS iid),
     issue AS (
       INSERT INTO issues (project_id, iid, title, description, confidential, author_id, external_author, awaiting_reply, updated_at)
       SELECT $1, bump.iid, 'A long conversation (' || $3::int || ' notes)', 'The **printer** is on fire again. See the [log](https://example.com/log).', true,
              'support-bot', 'customer@bench.example', true, now() FROM bump
       RETURNING id, iid
     ),
     add_notes AS (
       INSERT INTO notes (issue_id, author_id, external_author, body, internal, created_at, updated_at)
       SELECT issue.id,
              CASE WHEN g % 2 = 0 THEN 'support-bot' ELSE $2 END,
              CASE WHEN g % 2 = 0 THEN 'customer@bench.example' END,
              'Note ' || g || ': the **printer** still shows error \`E' || g || '\` — see [the log](https://example.com/log/' || g || ').' || chr(10) || chr(10) ||
              '- tried turning it *off and on* (' || g || ')' || chr(10) || '- checked the cable' || chr(10) || chr(10) || '> quoted line ' || g,
              g % 7 = 0 AND g % 2 = 1,
              now() - ($3::int - g) * interval '1 minute', now()
       FROM issue, generate_series(1, $3::int) AS g
     )
     SELECT iid FROM issue`,
    projectId,
    authorId,
    notes,
  );
  return rows[0].iid;
}
