// Retention for schedulers (Vercel Cron, any external cron): `Authorization: Bearer $CRON_SECRET`. Bounded per
// call; `more: true` means the next call has more to purge.
import { cronRoute } from "@/lib/api/cron-route";
import { runRetention } from "@/lib/privacy/retention";

export const dynamic = "force-dynamic";
export const maxDuration = 60;

const purge = cronRoute(() => runRetention());

export const GET = purge;
export const POST = purge;
