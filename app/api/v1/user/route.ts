// GET /api/v4/user (and /api/v1/user) — the token's user, GitLab-shaped: what clients call to check a token.
import { apiRoute } from "@/lib/api/handler";
import { currentUserJson } from "@/lib/api/resources";
import { getCurrentUser } from "@/lib/data/users";

export const dynamic = "force-dynamic";

export const GET = apiRoute(async ({ actor }) => currentUserJson(await getCurrentUser(actor)));
