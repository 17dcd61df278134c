// GET /api/v1/todos — the user's To-Dos (GitLab's shape), ?state=pending|done, paged with GitLab's headers.
import { apiRoute, json } from "@/lib/api/handler";
import { offsetPageHeaders, positiveParam } from "@/lib/api/paging";
import { todoJson } from "@/lib/api/todo-json";
import { listTodos } from "@/lib/data/todos";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";

export const GET = apiRoute(async ({ actor, url }) => {
  const q = url.searchParams;
  const state = q.get("state") || "pending";
  if (state !== "pending" && state !== "done") throw new AppError("bad_request", "state must be pending or done.", { state: "does not have a valid value" });
  const perPage = positiveParam(q.get("per_page"), 20, 100, "per_page");
  const page = positiveParam(q.get("page"), 1, 1_000_000, "page");
  const { todos, total } = await listTodos(actor, { state, limit: perPage, page });
  return json(todos.map(todoJson), { headers: offsetPageHeaders(url, { page, perPage, total }) });
});
