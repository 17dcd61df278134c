// Route handlers for schedulers (Vercel Cron, any external cron): the CRON_SECRET bearer is checked here, so
// no cron route can forget it; without CRON_SECRET configured the cron routes stay closed.
import { NextResponse } from "next/server";
import { hasBearer } from "@/lib/auth/secret";
import { env } from "@/lib/env";

/** A GET/POST handler that answers 401 without `Authorization: Bearer $CRON_SECRET`, else `work()` as JSON. */
export function cronRoute(work: () => Promise<unknown>) {
  return async (request: Request) => {
    const secret = env().CRON_SECRET;
    if (!hasBearer(request, secret))
      return NextResponse.json(
        { message: secret ? "401 Unauthorized" : "CRON_SECRET is not configured: the cron routes are closed." },
        { status: 401 },
      );
    return NextResponse.json(await work());
  };
}
