// GET /api/v1/todos — the user's To-Dos (GitLab's shape), ?state=pending|done, paged with GitLab's headers.
import { apiRoute, json } from "@/lib/api/handler";
import { todoJson } from "@/lib/api/todo-json";
import { listTodos } from "@/lib/data/todos";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";

function positive(value: string | null, fallback: number, max: number, field: string): number {
  if (value === null || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new AppError("bad_request", `${field} must be a positive integer.`, { [field]: "must be a positive integer" });
  return Math.min(n, max);
}

/** X-Total, X-Page, … and a Link header with first/last (and next/prev where there is one). */
function pageHeaders(url: URL, page: number, perPage: number, total: number): Headers {
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  const link = (target: number) => {
    const next = new URL(url);
    next.searchParams.set("page", String(target));
    next.searchParams.set("per_page", String(perPage));
    return next.toString();
  };
  const links = [`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`];
  if (page < totalPages) links.unshift(`<${link(page + 1)}>; rel="next"`);
  if (page > 1) links.unshift(`<${link(page - 1)}>; rel="prev"`);
  return new Headers({
    "X-Page": String(page),
    "X-Per-Page": String(perPage),
    "X-Total": String(total),
    "X-Total-Pages": String(totalPages),
    "X-Next-Page": page < totalPages ? String(page + 1) : "",
    "X-Prev-Page": page > 1 ? String(page - 1) : "",
    Link: links.join(", "),
  });
}

export const GET = apiRoute(async ({ actor, url }) => {
  const q = url.searchParams;
  const state = q.get("state") || "pending";
  if (state !== "pending" && state !== "done") throw new AppError("bad_request", "state must be pending or done.", { state: "does not have a valid value" });
  const perPage = positive(q.get("per_page"), 20, 100, "per_page");
  const page = positive(q.get("page"), 1, 1_000_000, "page");
  const { todos, total } = await listTodos(actor, { state, limit: perPage, page });
  return json(todos.map(todoJson), { headers: pageHeaders(url, page, perPage, total) });
});
