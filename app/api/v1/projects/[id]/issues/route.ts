// GET /api/v1/projects/:id/issues — the issue list's filters with GitLab's parameters and paging headers
// (page/per_page with X-Total, X-Next-Page and Link; or pagination=keyset with a cursor in Link).
import { apiRoute, json } from "@/lib/api/handler";
import { offsetPageHeaders, positiveParam } from "@/lib/api/paging";
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

export const GET = apiRoute<{ id: string }>(async ({ actor, params, url }) => {
  const q = url.searchParams;
  const projectPath = await projectPathFromApiId(params.id);
  const project = await getProject(actor, projectPath);
  const perPage = positiveParam(q.get("per_page"), 20, 100, "per_page");
  const keyset = q.get("pagination") === "keyset";
  const page = keyset ? undefined : positiveParam(q.get("page"), 1, 1_000_000, "page");
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
  let headers: Headers;
  if (keyset) {
    headers = new Headers({ "X-Per-Page": String(perPage) });
    const next = new URL(url);
    if (result.nextCursor) {
      next.searchParams.set("cursor", result.nextCursor);
      headers.set("Link", `<${next.toString()}>; rel="next"`);
    }
  } else headers = offsetPageHeaders(url, { page: page!, perPage, total, hasNext: !!result.nextCursor });
  return json(
    result.issues.map((issue) => issueJson(issue, project)),
    { headers },
  );
});
