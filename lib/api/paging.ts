// GitLab's offset paging for REST lists: page/per_page parameters and the X-Total, X-Page, … and Link headers.
import { AppError } from "@/lib/errors";
import { json } from "./handler";

/** A positive integer query parameter (page, per_page): `fallback` when absent, at most `max`, 400 otherwise. */
export function positiveParam(value: string | null, fallback: number, max: number, field: string): number {
  if (value === null || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new AppError("bad_request", `${field} must be a positive integer.`, { [field]: "must be a positive integer" });
  return Math.min(n, max);
}

/**
 * X-Total, X-Total-Pages, X-Page, X-Per-Page, X-Next-Page, X-Prev-Page and a Link header with first/last (and
 * next/prev where there is one). `hasNext` defaults to "a later page exists by the total".
 */
export function offsetPageHeaders(url: URL, { page, perPage, total, hasNext }: { page: number; perPage: number; total: number; hasNext?: boolean }): Headers {
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  const next = hasNext ?? page < totalPages;
  const link = (target: number) => {
    const to = new URL(url);
    to.searchParams.set("page", String(target));
    to.searchParams.set("per_page", String(perPage));
    return to.toString();
  };
  const links = [`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`];
  if (next) links.unshift(`<${link(page + 1)}>; rel="next"`);
  if (page > 1) links.unshift(`<${link(page - 1)}>; rel="prev"`);
  return new Headers({
    "X-Page": String(page),
    "X-Per-Page": String(perPage),
    "X-Total": String(total),
    "X-Total-Pages": String(totalPages),
    "X-Next-Page": next ? String(page + 1) : "",
    "X-Prev-Page": page > 1 ? String(page - 1) : "",
    Link: links.join(", "),
  });
}

/** A whole list (members, labels: short lists read in one query) answered a page at a time, GitLab's way. */
export function pagedJson<T>(url: URL, items: T[]): Response {
  const perPage = positiveParam(url.searchParams.get("per_page"), 20, 100, "per_page");
  const page = positiveParam(url.searchParams.get("page"), 1, 1_000_000, "page");
  return json(items.slice((page - 1) * perPage, page * perPage), { headers: offsetPageHeaders(url, { page, perPage, total: items.length }) });
}

