// A whole list answered a page at a time (members, labels: short lists read in one query), with GitLab's
// page/per_page parameters and headers.
import { offsetPageHeaders, positiveParam } from "./paging";
import { json } from "./handler";

export function pagedJson<T>(url: URL, items: T[]): Response {
  const perPage = positiveParam(url.searchParams.get("per_page"), 20, 100, "per_page");
  const page = positiveParam(url.searchParams.get("page"), 1, 1_000_000, "page");
  const slice = items.slice((page - 1) * perPage, page * perPage);
  return json(slice, { headers: offsetPageHeaders(url, { page, perPage, total: items.length }) });
}
