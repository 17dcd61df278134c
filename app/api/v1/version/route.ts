// GET /api/v4/version (and /api/v1/version) — what GitLab clients ask first: the GitLab API level these endpoints
// follow, and this app's own version (docs/API.md says which endpoints exist and where they differ).
import { apiRoute } from "@/lib/api/handler";
import { API_COMPATIBILITY_VERSION, APP_VERSION } from "@/lib/api/version";

export const dynamic = "force-dynamic";

export const GET = apiRoute(async () => ({ version: API_COMPATIBILITY_VERSION, revision: APP_VERSION, enterprise: false, service_desk: { version: APP_VERSION } }));
