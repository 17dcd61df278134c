// GET /api/live — the signed-in tab's live stream (server-sent events: issue, todos, presence, resync; lib/live).
// 204 where LIVE_UPDATES is not "stream": an EventSource stops on 204 and the page polls /api/live/poll instead.
import { sessionRoute } from "@/lib/api/session-route";
import { env } from "@/lib/env";
import { LIVE_STREAM_HEADERS, liveStream } from "@/lib/live/stream";

export const dynamic = "force-dynamic";

export const GET = sessionRoute(async ({ actor, request }) => {
  if (env().LIVE_UPDATES !== "stream") return new Response(null, { status: 204 });
  return new Response(liveStream(actor, { signal: request.signal }), { headers: LIVE_STREAM_HEADERS });
});
