// GET|PUT /api/v1/projects/:id/service_desk (Maintainer and up; 404 below) — the settings form's data functions.
import { apiRoute } from "@/lib/api/handler";
import { projectPathFromApiId, serviceDeskInputFromApi, serviceDeskJson } from "@/lib/api/resources";
import { getServiceDeskSettings, updateServiceDeskSettings } from "@/lib/data/service-desk";

export const dynamic = "force-dynamic";

type Params = { id: string };

export const GET = apiRoute<Params>(async ({ actor, params }) => serviceDeskJson(await getServiceDeskSettings(actor, await projectPathFromApiId(params.id))));

export const PUT = apiRoute<Params>(
  async ({ actor, params, body }) => {
    const projectPath = await projectPathFromApiId(params.id);
    return serviceDeskJson(await updateServiceDeskSettings(actor, projectPath, serviceDeskInputFromApi(await body())));
  },
  { write: true },
);
