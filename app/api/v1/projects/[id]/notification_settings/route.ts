// GET|PUT /api/v1/projects/:id/notification_settings — the user's level in one project ("global": their default).
import { apiRoute } from "@/lib/api/handler";
import { projectPathFromApiId } from "@/lib/api/resources";
import { getProjectNotificationLevel, setProjectNotificationLevel } from "@/lib/data/notification-settings";

export const dynamic = "force-dynamic";

type Params = { id: string };

export const GET = apiRoute<Params>(async ({ actor, params }) => ({ level: await getProjectNotificationLevel(actor, await projectPathFromApiId(params.id)) }));

export const PUT = apiRoute<Params>(
  async ({ actor, params, body }) => {
    const projectPath = await projectPathFromApiId(params.id);
    return { level: await setProjectNotificationLevel(actor, projectPath, (await body()).level) };
  },
  { write: true },
);
