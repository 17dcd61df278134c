// GET|PUT /api/v1/notification_settings — the user's default notification level (GitLab's global settings).
import { apiRoute } from "@/lib/api/handler";
import { getGlobalNotificationLevel, setGlobalNotificationLevel } from "@/lib/data/notification-settings";

export const dynamic = "force-dynamic";

export const GET = apiRoute(async ({ actor }) => ({ level: await getGlobalNotificationLevel(actor) }));

export const PUT = apiRoute(async ({ actor, body }) => ({ level: await setGlobalNotificationLevel(actor, (await body()).level) }), { write: true });
