// GET /api/v4/projects/:id/members — the project's members, GitLab-shaped (access_level), paged; any member may list.
import { apiRoute } from "@/lib/api/handler";
import { pagedJson } from "@/lib/api/paging";
import { memberJson, projectPathFromApiId } from "@/lib/api/resources";
import { listMembers } from "@/lib/data/members";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>(async ({ actor, params, url }) => {
  const members = await listMembers(actor, await projectPathFromApiId(params.id));
  const query = url.searchParams.get("query")?.toLowerCase();
  const matching = query ? members.filter((m) => m.username.toLowerCase().includes(query) || (m.name ?? "").toLowerCase().includes(query)) : members;
  return pagedJson(url, matching.map(memberJson));
});
