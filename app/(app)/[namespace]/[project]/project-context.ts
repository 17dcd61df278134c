// Loads the project for a page under /<namespace>/<project> (cached per request: layout and page share it).
import { cache } from "react";
import { orNotFound, requireActor } from "@/lib/auth/page-access";
import { getProject } from "@/lib/data/projects";

export interface ProjectParams {
  namespace: string;
  project: string;
}

export const loadProject = cache(async (namespace: string, project: string) => {
  const fullPath = `${namespace}/${project}`;
  const actor = await requireActor(`/${fullPath}`);
  return { actor, project: await orNotFound(getProject(actor, fullPath)) };
});

export async function projectFromParams(params: Promise<ProjectParams>) {
  const { namespace, project } = await params;
  return loadProject(decodeURIComponent(namespace), decodeURIComponent(project));
}
