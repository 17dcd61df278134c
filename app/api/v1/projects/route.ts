// GET /api/v1/projects: the projects the token's user is a member of.
import { apiRoute } from "@/lib/api/handler";
import { projectJson } from "@/lib/api/resources";
import { listMyProjects } from "@/lib/data/projects";
import { serviceDeskEnabledFor } from "@/lib/data/service-desk-status";

export const dynamic = "force-dynamic";

export const GET = apiRoute(async ({ actor }) => {
  const projects = await listMyProjects(actor);
  const enabled = await serviceDeskEnabledFor(projects.map((p) => p.id));
  return projects.map((project) => projectJson(project, enabled.has(project.id)));
});
