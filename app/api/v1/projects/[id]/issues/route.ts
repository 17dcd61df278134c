// GET /api/v1/projects/:id/issues — the issue list's filters with GitLab's parameters and paging headers
// (page/per_page with X-Total, X-Next-Page and Link; or pagination=keyset with a cursor in Link).
import { apiRoute, json } from "@/lib/api/handler";
import { issueJson, labelTitlesFromApi, projectPathFromApiId } from "@/lib/api/resources";
import { listIssuesForApi } from "@/lib/data/issue-list";
import { getProject } from "@/lib/data/projects";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";

const SORTS: Record<string, string> = {
  "created_at:desc": "created_desc",
  "created_at:asc": "created_asc",
  "updated_at:desc": "updated_desc",
  "updated_at:asc": "updated_asc",
};

function positive(value: string | null, fallback: number, max: number, field: string): number {
  if (value === null || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new AppError("bad_request", `${field} must be a positive integer.`, { [field]: "must be a positive integer" });
  return Math.min(n, max);
}

export const GET = apiRoute<{ id: string }>(async ({ actor, params, url }) => {
  const q = url.searchParams;
  const projectPath = await projectPathFromApiId(params.id);
  const project = await getProject(actor, projectPath);
  const perPage = positive(q.get("per_page"), 20, 100, "per_page");
  const keyset = q.get("pagination") === "keyset";
  const page = keyset ? undefined : positive(q.get("page"), 1, 1_000_000, "page");
  const sort = SORTS[`${q.get("order_by") ?? "created_at"}:${q.get("sort") ?? "desc"}`];
  if (!sort) throw new AppError("bad_request", "order_by must be created_at or updated_at, sort asc or desc.", { order_by: "is invalid" });
  const state = q.get("state") || "all";
  const input = {
    state: state === "opened" || state === "closed" ? state : "all",
    serviceDesk: q.get("service_desk") === "true",
    labels: labelTitlesFromApi(q.get("labels")) ?? [],
    assignee: q.get("assignee_username") || undefined,
    search: q.get("search") || undefined,
    author: q.get("service_desk_reply_to") || undefined,
    sort,
    cursor: keyset ? q.get("cursor") || undefined : undefined,
  };
  const result = await listIssuesForApi(actor, projectPath, input, { perPage, page });

  const total = result.counts[input.state as "opened" | "closed" | "all"];
  const headers = new Headers({ "X-Per-Page": String(perPage) });
  const link = (extra: Record<string, string>) => {
    const next = new URL(url);
    for (const [key, value] of Object.entries(extra)) next.searchParams.set(key, value);
    return next.toString();
  };
  if (keyset) {
    if (result.nextCursor) headers.set("Link", `<${link({ cursor: result.nextCursor })}>; rel="next"`);
  } else {
    const totalPages = Math.max(1, Math.ceil(total / perPage));
    headers.set("X-Total", String(total));
    headers.set("X-Total-Pages", String(totalPages));
    headers.set("X-Page", String(page));
    headers.set("X-Next-Page", result.nextCursor ? String(page! + 1) : "");
    headers.set("X-Prev-Page", page! > 1 ? String(page! - 1) : "");
    const links = [`<${link({ page: "1" })}>; rel="first"`, `<${link({ page: String(totalPages) })}>; rel="last"`];
    if (result.nextCursor) links.unshift(`<${link({ page: String(page! + 1) })}>; rel="next"`);
    if (page! > 1) links.unshift(`<${link({ page: String(page! - 1) })}>; rel="prev"`);
    headers.set("Link", links.join(", "));
  }
  return json(
    result.issues.map((issue) => issueJson(issue, project)),
    { headers },
  );
});
