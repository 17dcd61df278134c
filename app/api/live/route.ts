// GET /api/live — the signed-in tab's live stream (server-sent events: issue, todos, presence, resync; lib/live).
// 204 where LIVE_UPDATES is not "stream": an EventSource stops on 204 and the page polls /api/live/poll instead.
import { cookies } from "next/headers";
import { NextResponse } from "next/server";
import { sessionRoute } from "@/lib/api/session-route";
import { findActorBySessionToken } from "@/lib/data/users";
import { env } from "@/lib/env";
import { LIVE_STREAM_HEADERS, liveStream, liveStreamsOf, MAX_STREAMS_PER_USER } from "@/lib/live/stream";

export const dynamic = "force-dynamic";

export const GET = sessionRoute(async ({ actor, request }) => {
  if (env().LIVE_UPDATES !== "stream") return new Response(null, { status: 204 });
  // An EventSource does not retry after a 429: that tab falls back to polling.
  if (liveStreamsOf(actor.id) >= MAX_STREAMS_PER_USER)
    return NextResponse.json({ message: `At most ${MAX_STREAMS_PER_USER} live connections at once: close some tabs.` }, { status: 429 });
  // next-auth's database session cookie (with the __Secure- prefix over https): the stream ends when it does.
  const jar = await cookies();
  const token = jar.get("__Secure-next-auth.session-token")?.value ?? jar.get("next-auth.session-token")?.value;
  const revalidate = () => (token ? findActorBySessionToken(token) : Promise.resolve(null));
  return new Response(liveStream(actor, { signal: request.signal, revalidate }), { headers: LIVE_STREAM_HEADERS });
});
