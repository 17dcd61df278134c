// POST /api/live/presence {project, iid, state: viewing|replying|left} — the issue page's heartbeat: the others on
// the issue see "<name> is replying…" (lib/data/presence.ts checks the user may read, or comment on, the issue).
import { sessionRoute, jsonBody } from "@/lib/api/session-route";
import { setIssuePresence } from "@/lib/data/presence";
import { AppError } from "@/lib/errors";
import { fieldErrorsOf } from "@/lib/data/validation";
import { hitRateLimit } from "@/lib/rate-limit";
import { presenceSchema } from "@/lib/schemas";

export const dynamic = "force-dynamic";

export const POST = sessionRoute(async ({ actor, request }) => {
  const parsed = presenceSchema.safeParse(await jsonBody(request));
  if (!parsed.success) throw new AppError("bad_request", "Send {project, iid, state} with state viewing, replying or left.", fieldErrorsOf(parsed.error));
  // A page sends one every 15 s and on each start or stop of typing; a loop in a page must not flood the database.
  if ((await hitRateLimit(`presence:${actor.id}`, 60_000)) > 120) throw new AppError("rate_limited", "Too many presence updates.");
  await setIssuePresence(actor, parsed.data.project, parsed.data.iid, parsed.data.state);
  return new Response(null, { status: 204 });
});
