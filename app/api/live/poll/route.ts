// GET /api/live/poll?since=<ISO time>[&project=<path>&iid=<n>] — the polling fallback of the live stream: issues
// changed since then that the user may read, their pending To-Do count, and who else is on the given issue.
import { NextResponse } from "next/server";
import { sessionRoute } from "@/lib/api/session-route";
import { liveChangesSince } from "@/lib/data/live-changes";
import { issuePresence } from "@/lib/data/presence";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";

// A poll looks this far behind the last one's clock: a transaction that stamped updated_at before that clock
// reading but committed after it is still seen (the page ignores what it saw already).
const OVERLAP_MS = 10_000;
const MAX_LOOKBACK_MS = 10 * 60_000;

export const GET = sessionRoute(async ({ actor, url }) => {
  const since = new Date(url.searchParams.get("since") ?? "");
  if (Number.isNaN(since.getTime())) throw new AppError("bad_request", "since must be an ISO time.", { since: "must be an ISO time" });
  const from = new Date(Math.max(since.getTime() - OVERLAP_MS, Date.now() - MAX_LOOKBACK_MS));
  const project = url.searchParams.get("project");
  const iid = Number(url.searchParams.get("iid"));
  const [changes, presence] = await Promise.all([
    liveChangesSince(actor, from),
    // An issue that became unreadable (deleted, made confidential) must not stop the rest of the page's updates.
    project && Number.isInteger(iid) && iid > 0 ? issuePresence(actor, project, iid).catch(() => []) : Promise.resolve([]),
  ]);
  return NextResponse.json({ ...changes, presence }, { headers: { "cache-control": "no-store" } });
});
