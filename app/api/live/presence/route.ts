// POST /api/live/presence {project, iid, state: viewing|replying|left} — the issue page's heartbeat: the others on
// the issue see "<name> is replying…" (lib/data/presence.ts checks the user may read, or comment on, the issue).
import { sessionRoute, jsonBody } from "@/lib/api/session-route";
import { setIssuePresence } from "@/lib/data/presence";
import { AppError } from "@/lib/errors";
import { hitRateLimit } from "@/lib/rate-limit";

export const dynamic = "force-dynamic";

const STATES = new Set(["viewing", "replying", "left"]);

export const POST = sessionRoute(async ({ actor, request }) => {
  const body = await jsonBody(request);
  const { project, iid, state } = body;
  if (typeof project !== "string" || !project || typeof iid !== "number" || !Number.isInteger(iid) || typeof state !== "string" || !STATES.has(state))
    throw new AppError("bad_request", "Send {project, iid, state} with state viewing, replying or left.");
  // A page sends one every 15 s and on each start or stop of typing; a loop in a page must not flood the database.
  if ((await hitRateLimit(`presence:${actor.id}`, 60_000)) > 120) throw new AppError("rate_limited", "Too many presence updates.");
  await setIssuePresence(actor, project, iid, state as "viewing" | "replying" | "left");
  return new Response(null, { status: 204 });
});
