// GET /api/v1/projects/:id (numeric id or URL-encoded full path).
import { apiRoute } from "@/lib/api/handler";
import { projectJson, projectPathFromApiId } from "@/lib/api/resources";
import { getProject } from "@/lib/data/projects";
import { serviceDeskEnabledFor } from "@/lib/data/service-desk-status";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>(async ({ actor, params }) => {
  const project = await getProject(actor, await projectPathFromApiId(params.id));
  const enabled = await serviceDeskEnabledFor([project.id]);
  return projectJson(project, enabled.has(project.id));
});
