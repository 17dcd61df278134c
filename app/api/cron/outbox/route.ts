// Outbox drain for schedulers (Vercel Cron, any external cron): `Authorization: Bearer $CRON_SECRET`.
import { NextResponse } from "next/server";
import { hasBearer } from "@/lib/auth/secret";
import { env } from "@/lib/env";
import { deliverOutbox } from "@/lib/mail/outbox";

export const dynamic = "force-dynamic";
export const maxDuration = 60;

async function drain(request: Request) {
  const secret = env().CRON_SECRET;
  if (!hasBearer(request, secret))
    return NextResponse.json(
      { message: secret ? "401 Unauthorized" : "CRON_SECRET is not configured: the cron routes are closed." },
      { status: 401 },
    );
  const { errors, ...counts } = await deliverOutbox({ limit: 200 });
  return NextResponse.json({ ...counts, errors: Object.keys(errors).length });
}

export const GET = drain;
export const POST = drain;
