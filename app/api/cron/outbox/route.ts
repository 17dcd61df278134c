// Outbox drain for schedulers (Vercel Cron, any external cron): `Authorization: Bearer $CRON_SECRET`.
import { cronRoute } from "@/lib/api/cron-route";
import { deliverOutbox } from "@/lib/mail/outbox";

export const dynamic = "force-dynamic";
export const maxDuration = 60;

const drain = cronRoute(async () => {
  const { errors, ...counts } = await deliverOutbox({ limit: 200 });
  return { ...counts, errors: Object.keys(errors).length };
});

export const GET = drain;
export const POST = drain;
