// Issue lists (the Issues page and the Service Desk tracker): filters, search, state tabs with counts and keyset
// pagination over (sort column, id), so every page is its own stable URL however many issues a project has.
import type { Actor } from "@/lib/auth/actor";
import { can, type Role } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import type { IssueState } from "@/lib/generated/prisma/enums";
import { Prisma } from "@/lib/generated/prisma/client";
import {
  ISSUE_LIST_PAGE_SIZE,
  issueListQuerySchema,
  NO_ASSIGNEE,
  searchedIid,
  type IssueListInput,
  type IssueListQuery,
  type IssueListSort,
} from "@/lib/schemas";
import { SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { requireProject } from "./access";
import { listProjectLabels, sortLabels } from "./labels";
import { addressRule } from "./address-visibility";
import { fieldErrorsOf } from "./validation";

export interface IssueListRow {
  id: number;
  iid: number;
  title: string;
  state: IssueState;
  confidential: boolean;
  /** Opened by the Support Bot from a customer's mail. */
  serviceDesk: boolean;
  /** The customer's address; masked (`j****@e****.com`) below Reporter (address-visibility.ts). */
  externalAuthor: string | null;
  author: { username: string; name: string | null };
  labels: { title: string; color: string }[];
  assignees: { username: string; name: string | null }[];
  /** Comments the actor may see: no system notes; internal notes only for Reporter and up. */
  commentCount: number;
  /** The customer spoke last (Service Desk issues only). */
  awaitingReply: boolean;
  createdAt: Date;
  updatedAt: Date;
  /** Only in listIssuesForApi. */
  description?: string;
  closedAt?: Date | null;
}

export interface IssueListPage {
  issues: IssueListRow[];
  /** Cursors for the neighbouring pages (`direction` next / prev), or null at either end. */
  nextCursor: string | null;
  prevCursor: string | null;
  /** Issues per state tab under the current filters. */
  counts: { opened: number; closed: number; all: number };
  /** The query as understood (defaults filled in), for building links. */
  query: IssueListQuery;
}

const INVALID_CURSOR = "This page link is out of date or damaged. Start again from the first page.";
const MAX_ID = 2_147_483_647;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Cursor of a row: base64url of `[sort value, id]`; the sort value is an ISO timestamp for every sort. */
export function encodeCursor(value: Date, id: number): string {
  return Buffer.from(JSON.stringify([value.toISOString(), id])).toString("base64url");
}

/** The position a cursor names; a bad_request (never a crash) for anything we did not make. */
export function decodeCursor(cursor: string): { value: Date; id: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new AppError("bad_request", INVALID_CURSOR, { cursor: INVALID_CURSOR });
  }
  if (Array.isArray(parsed) && parsed.length === 2) {
    const [value, id] = parsed as unknown[];
    if (typeof value === "string" && ISO_DATE.test(value) && Number.isInteger(id) && (id as number) > 0 && (id as number) <= MAX_ID) {
      const date = new Date(value);
      if (!Number.isNaN(date.getTime()) && date.toISOString() === value) return { value: date, id: id as number };
    }
  }
  throw new AppError("bad_request", INVALID_CURSOR, { cursor: INVALID_CURSOR });
}

/** Validates list input from a URL or a caller; bad_request with the field at fault otherwise. */
export function parseIssueListQuery(input: IssueListInput | Record<string, unknown>): IssueListQuery {
  const parsed = issueListQuerySchema.safeParse(input);
  if (!parsed.success) {
    const fieldErrors = fieldErrorsOf(parsed.error);
    throw new AppError("bad_request", Object.values(fieldErrors)[0] ?? "This list link is not valid.", fieldErrors);
  }
  if (parsed.data.cursor) decodeCursor(parsed.data.cursor);
  return parsed.data;
}

// LIKE wildcards in what the user typed are literal characters (backslash is LIKE's default escape).
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

// Prisma turns `equals` + insensitive into ILIKE without escaping (prisma/orm#19506): "a_b" would match "axb".
function equalsIgnoringCase(text: string) {
  return { equals: escapeLike(text), mode: "insensitive" as const };
}

const SORT_COLUMN: Record<IssueListSort, "createdAt" | "updatedAt"> = {
  created_desc: "createdAt",
  created_asc: "createdAt",
  updated_desc: "updatedAt",
  updated_asc: "updatedAt",
};

/**
 * Everything but the state tab and the page: what the counts are taken over. Label titles and the assignee's
 * username are looked up first, so the issue query filters on plain ids (issue_labels.label_id and
 * issue_assignees.user_id are indexed) instead of joining and comparing text for every issue.
 */
async function filterWhere(projectId: number, role: Role | null, query: IssueListQuery): Promise<Prisma.IssueWhereInput> {
  const and: Prisma.IssueWhereInput[] = [];
  if (query.labels.length) {
    const labels = await db().label.findMany({
      where: { projectId, OR: query.labels.map((title) => ({ title: equalsIgnoringCase(title) })) },
      select: { id: true, title: true },
    });
    for (const title of query.labels) {
      const ids = labels.filter((l) => l.title.toLowerCase() === title.toLowerCase()).map((l) => l.id);
      and.push({ labels: { some: { labelId: { in: ids } } } });
    }
  }
  if (query.assignee === NO_ASSIGNEE) and.push({ assignees: { none: {} } });
  else if (query.assignee) {
    const users = await db().user.findMany({ where: { username: equalsIgnoringCase(query.assignee) }, select: { id: true } });
    and.push({ assignees: { some: { userId: { in: users.map((u) => u.id) } } } });
  }
  if (query.author) and.push({ externalAuthor: equalsIgnoringCase(query.author) });
  if (query.awaiting !== undefined) and.push({ awaitingReply: query.awaiting });
  const iid = searchedIid(query.search);
  if (iid !== undefined) and.push({ iid });
  else if (query.search) {
    // Two ILIKEs OR-ed: the shape a trigram index on each column can serve (BitmapOr).
    const pattern = escapeLike(query.search);
    and.push({ OR: [{ title: { contains: pattern, mode: "insensitive" } }, { description: { contains: pattern, mode: "insensitive" } }] });
  }
  return {
    projectId,
    ...(can(role, "issue:read_confidential") ? {} : { confidential: false }),
    ...(query.serviceDesk ? { authorId: SUPPORT_BOT_ID } : {}),
    ...(and.length ? { AND: and } : {}),
  };
}

function stateWhere(state: IssueListQuery["state"]): Prisma.IssueWhereInput {
  return state === "all" ? {} : { state: state === "opened" ? "OPENED" : "CLOSED" };
}

/** Rows strictly after (`after`) or before the position, in a listing ordered `descending` by (column, id). */
function keyset(column: "createdAt" | "updatedAt", descending: boolean, at: { value: Date; id: number }, after: boolean): Prisma.IssueWhereInput {
  const op = descending === after ? "lt" : "gt";
  return { OR: [{ [column]: { [op]: at.value } }, { [column]: at.value, id: { [op]: at.id } }] };
}

interface RowDetails {
  id: number;
  author: { username: string; name: string | null };
  labels: { title: string; color: string }[];
  assignees: { username: string; name: string | null }[];
  comments: number;
}

/**
 * Author, labels, assignees and visible comment count of the page's rows (at most 20) in one round trip:
 * correlated subqueries over the indexed issue_id columns, so the cost follows the page, not the project.
 */
async function pageDetails(ids: number[], seesInternal: boolean): Promise<Map<number, RowDetails>> {
  if (ids.length === 0) return new Map();
  const rows = await db().$queryRaw<RowDetails[]>`
    SELECT i.id,
      (SELECT json_build_object('username', u.username, 'name', u.name) FROM users u WHERE u.id = i.author_id) AS author,
      (SELECT COALESCE(json_agg(json_build_object('title', l.title, 'color', l.color)), '[]'::json)
         FROM issue_labels il JOIN labels l ON l.id = il.label_id WHERE il.issue_id = i.id) AS labels,
      (SELECT COALESCE(json_agg(json_build_object('username', u.username, 'name', u.name)), '[]'::json)
         FROM issue_assignees ia JOIN users u ON u.id = ia.user_id WHERE ia.issue_id = i.id) AS assignees,
      (SELECT count(*)::int FROM notes n
         WHERE n.issue_id = i.id AND NOT n.system AND (${seesInternal} OR NOT n.internal)) AS comments
    FROM issues i WHERE i.id IN (${Prisma.join(ids)})`;
  // Drivers differ on whether json arrives parsed.
  const parsed = <T>(value: unknown): T => (typeof value === "string" ? JSON.parse(value) : value) as T;
  return new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, author: parsed(r.author), labels: parsed(r.labels), assignees: parsed(r.assignees), comments: Number(r.comments) },
    ]),
  );
}

/** The REST API's paging: GitLab's page/per_page (offset) when `page` is given, else keyset with `perPage` rows. */
export interface ApiPaging {
  perPage: number;
  page?: number;
}

async function queryIssues(
  actor: Actor | null,
  projectPath: string,
  input: IssueListInput | Record<string, unknown>,
  tracker: boolean,
  paging?: ApiPaging,
): Promise<IssueListPage> {
  const { project, role } = await requireProject(actor, projectPath, tracker ? "issue:read_confidential" : "issue:read");
  const query = parseIssueListQuery(tracker ? { ...input, serviceDesk: true } : input);
  const addresses = addressRule(role);
  // Finding issues by a customer's address would tell who wrote them: only for those who see addresses.
  if (query.author && !addresses.seesCustomerAddresses)
    throw new AppError("bad_request", "Filtering by customer address needs the Reporter role.", { author: "Filtering by customer address needs the Reporter role." });

  const filters = await filterWhere(project.id, role, query);
  const listed: Prisma.IssueWhereInput = { ...filters, ...stateWhere(query.state) };
  const column = SORT_COLUMN[query.sort];
  const descending = query.sort.endsWith("_desc");
  const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
  const backwards = !!cursor && query.direction === "prev";
  // Going back reads the rows before the cursor in reverse order, then turns them around.
  const readDescending = descending !== backwards;
  const where = cursor ? { AND: [listed, keyset(column, descending, cursor, !backwards)] } : listed;
  const pageSize = paging?.perPage ?? ISSUE_LIST_PAGE_SIZE;
  const skip = paging?.page && !cursor ? (paging.page - 1) * pageSize : undefined;

  const [rows, counts] = await Promise.all([
    db().issue.findMany({
      where,
      orderBy: [{ [column]: readDescending ? "desc" : "asc" }, { id: readDescending ? "desc" : "asc" }],
      take: pageSize + 1,
      skip,
      select: {
        id: true,
        iid: true,
        title: true,
        state: true,
        confidential: true,
        authorId: true,
        externalAuthor: true,
        awaitingReply: true,
        createdAt: true,
        updatedAt: true,
        // The API's issue JSON carries these; the list pages do not need them.
        description: !!paging,
        closedAt: !!paging,
      },
    }),
    db().issue.groupBy({ by: ["state"], where: filters, _count: { _all: true } }),
  ]);

  const more = rows.length > pageSize;
  const page = rows.slice(0, pageSize);
  if (backwards) page.reverse();
  const first = page[0];
  const last = page[page.length - 1];
  const cursorOf = (row: (typeof rows)[number]) => encodeCursor(row[column], row.id);
  // The side we came from: one indexed probe says whether anything is still there (rows may have gone).
  const exists = async (row: (typeof rows)[number], after: boolean) =>
    !!(await db().issue.findFirst({ where: { AND: [listed, keyset(column, descending, { value: row[column], id: row.id }, after)] }, select: { id: true } }));
  const ids = page.map((row) => row.id);
  const [details, hasNext, hasPrev] = await Promise.all([
    pageDetails(ids, can(role, "issue:read_confidential")),
    !last ? false : backwards ? exists(last, true) : more,
    !first ? false : backwards ? more : (!!cursor || !!skip) && exists(first, false),
  ]);
  const nextCursor = hasNext ? cursorOf(last) : null;
  const prevCursor = hasPrev ? cursorOf(first) : null;

  const count = (state: IssueState) => counts.find((c) => c.state === state)?._count._all ?? 0;
  return {
    issues: page.map((row): IssueListRow => {
      // Every issue has an author (foreign key), so each row of the page has its details.
      const extra = details.get(row.id)!;
      return {
        id: row.id,
        iid: row.iid,
        title: row.title,
        state: row.state,
        confidential: row.confidential,
        serviceDesk: row.authorId === SUPPORT_BOT_ID,
        externalAuthor: addresses.customer(row.externalAuthor),
        author: extra.author,
        labels: sortLabels(extra.labels),
        assignees: extra.assignees.sort((x, y) => (x.name ?? x.username).localeCompare(y.name ?? y.username)),
        commentCount: extra.comments,
        awaitingReply: row.awaitingReply,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
        ...(paging ? { description: row.description, closedAt: row.closedAt } : {}),
      };
    }),
    nextCursor,
    prevCursor,
    counts: { opened: count("OPENED"), closed: count("CLOSED"), all: count("OPENED") + count("CLOSED") },
    query,
  };
}

/**
 * One page of the project's issues the actor may see (confidential ones only for Reporter and up), filtered,
 * searched and sorted by `input` (see issueListQuerySchema), with the state tab counts. Non-members get 404.
 */
export function listIssues(actor: Actor | null, projectPath: string, input: IssueListInput | Record<string, unknown> = {}): Promise<IssueListPage> {
  return queryIssues(actor, projectPath, input, false);
}

/** The Service Desk tracker: like listIssues over Service Desk issues only, for Reporter and up. */
export function listServiceDeskIssues(actor: Actor | null, projectPath: string, input: IssueListInput | Record<string, unknown> = {}): Promise<IssueListPage> {
  return queryIssues(actor, projectPath, input, true);
}

/** listIssues for the REST API: the same filters and visibility, with GitLab's paging. */
export function listIssuesForApi(actor: Actor | null, projectPath: string, input: IssueListInput | Record<string, unknown>, paging: ApiPaging): Promise<IssueListPage> {
  return queryIssues(actor, projectPath, input, false, paging);
}

export interface IssueListFilterOptions {
  labels: { title: string; color: string; description: string }[];
  /** The project's members: anyone assigned to an issue is (or was) one. */
  assignees: { username: string; name: string | null }[];
}

/** What the filter bar offers: the project's labels and its members. */
export async function listIssueFilterOptions(actor: Actor | null, projectPath: string): Promise<IssueListFilterOptions> {
  const { project } = await requireProject(actor, projectPath, "issue:read");
  const [labels, members] = await Promise.all([
    listProjectLabels(actor, projectPath),
    db().membership.findMany({
      where: { projectId: project.id },
      select: { user: { select: { username: true, name: true } } },
      orderBy: { user: { username: "asc" } },
    }),
  ]);
  return {
    labels: labels.map(({ title, color, description }) => ({ title, color, description })),
    assignees: members.map((m) => m.user),
  };
}
