// Bulk test data: N issues in one project in one SQL statement (for `npm run db:seed-issues` and the list tests).
// Admin tooling like the demo seed: it writes the tables directly, with no actor and no authorization.
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { SUPPORT_BOT_ID } from "@/lib/service-desk/address";

/** Labels the seeded issues carry; created in the project when missing. Issue g carries label k when bit k of g is set. */
export const SEED_LABELS = [
  { title: "bug", color: "#d9534f" },
  { title: "feature", color: "#428bca" },
  { title: "support", color: "#5cb85c" },
  { title: "urgent", color: "#f0ad4e" },
  { title: "question", color: "#8e44ad" },
] as const;

export const SEED_TITLES = [
  "Printer on fire",
  "Cannot log in",
  "Invoice is wrong",
  "Refund request",
  "App crashes on start",
  "Password reset does not arrive",
  "Slow dashboard",
  "Export fails",
] as const;

export interface SeedIssuesOptions {
  projectId: number;
  count: number;
  /** Author of the issues that are not Service Desk requests (a member of the project). */
  authorId: string;
}

/**
 * Appends `count` issues to the project; issue number g (1…count, iid = previous last iid + g) is, by g:
 * a Service Desk request (confidential, from `customer<g % 97>@example.com`) when g % 3 = 0, else by `authorId`
 * and confidential when g % 10 = 1; closed when g % 4 = 2; has one public comment when g % 4 = 0 (which is
 * also when a Service Desk request is not awaiting a reply) and an internal note when g % 8 = 0; assigned to
 * the project's k-th member (by user id) for k = g % (members + 1) > 0. Creation times come in threes (ties
 * for the keyset tests), update times are scattered with ties. Returns the iid range.
 */
export async function seedIssues(prisma: PrismaClient, { projectId, count, authorId }: SeedIssuesOptions) {
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000) throw new Error("count must be an integer from 1 to 1,000,000.");
  return prisma.$transaction(
    async (tx) => {
      for (const label of SEED_LABELS)
        await tx.$executeRaw`INSERT INTO labels (project_id, title, color) VALUES (${projectId}, ${label.title}, ${label.color})
          ON CONFLICT (project_id, title) DO NOTHING`;
      const titles = SEED_TITLES.map((t) => `'${t.replace(/'/g, "''")}'`).join(", ");
      const labelTitles = SEED_LABELS.map((l) => `'${l.title}'`).join(", ");
      // One statement: the iid bump (UPDATE … RETURNING holds the project row, like createIssue), the issues,
      // and their labels, assignees and notes through data-modifying CTEs.
      const rows = await tx.$queryRawUnsafe<{ first: number; last: number }[]>(
        `WITH bump AS (
           UPDATE projects SET last_issue_iid = last_issue_iid + $2::int, updated_at = now() AT TIME ZONE 'UTC'
           WHERE id = $1::int RETURNING last_issue_iid - $2::int AS base
         ),
         clock AS (SELECT date_trunc('second', now() AT TIME ZONE 'UTC') AS now),
         src AS (
           SELECT g, bump.base + g AS iid, g % 3 = 0 AS sd,
                  clock.now - ((($2::int - g) / 3) * interval '1 minute') AS created
           FROM bump, clock, generate_series(1, $2::int) AS g
         ),
         ins AS (
           INSERT INTO issues (project_id, iid, title, description, state, confidential, author_id, external_author,
                               awaiting_reply, closed_at, created_at, updated_at)
           SELECT $1::int, src.iid,
                  (ARRAY[${titles}])[1 + g % ${SEED_TITLES.length}] || ' (seed ' || g || ')',
                  'Seeded issue number ' || g || '.',
                  (CASE WHEN g % 4 = 2 THEN 'CLOSED' ELSE 'OPENED' END)::"IssueState",
                  sd OR g % 10 = 1,
                  CASE WHEN sd THEN '${SUPPORT_BOT_ID}' ELSE $3::text END,
                  CASE WHEN sd THEN 'customer' || (g % 97) || '@example.com' END,
                  sd AND g % 4 <> 0,
                  CASE WHEN g % 4 = 2 THEN GREATEST(created, clock.now - (((g::bigint * 7919) % ($2::int / 2 + 1)) * interval '1 minute')) END,
                  created,
                  GREATEST(created, clock.now - (((g::bigint * 7919) % ($2::int / 2 + 1)) * interval '1 minute'))
           FROM src, clock
           RETURNING id, iid, updated_at
         ),
         numbered AS (SELECT ins.id, ins.iid - bump.base AS g, ins.updated_at FROM ins, bump),
         seed_labels AS (
           SELECT id, row_number() OVER (ORDER BY array_position(ARRAY[${labelTitles}], title)) - 1 AS k
           FROM labels WHERE project_id = $1::int AND title IN (${labelTitles})
         ),
         add_labels AS (
           INSERT INTO issue_labels (issue_id, label_id)
           SELECT numbered.id, seed_labels.id FROM numbered JOIN seed_labels ON (numbered.g >> seed_labels.k::int) & 1 = 1
         ),
         members AS (
           SELECT user_id, row_number() OVER (ORDER BY user_id) AS k, count(*) OVER () AS n FROM memberships WHERE project_id = $1::int
         ),
         add_assignees AS (
           INSERT INTO issue_assignees (issue_id, user_id)
           SELECT numbered.id, members.user_id FROM numbered JOIN members ON members.k = numbered.g % (members.n + 1)
         ),
         add_notes AS (
           INSERT INTO notes (issue_id, author_id, body, internal, created_at, updated_at)
           SELECT id, $3::text, 'Seeded comment.', false, updated_at, updated_at FROM numbered WHERE g % 4 = 0
           UNION ALL
           SELECT id, $3::text, 'Seeded internal note.', true, updated_at, updated_at FROM numbered WHERE g % 8 = 0
         )
         SELECT min(iid)::int AS first, max(iid)::int AS last FROM ins`,
        projectId,
        count,
        authorId,
      );
      return { firstIid: rows[0].first, lastIid: rows[0].last };
    },
    { timeout: 120_000 },
  );
}
