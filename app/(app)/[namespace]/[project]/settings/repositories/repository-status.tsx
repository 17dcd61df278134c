// The last delivery a linked repository received, in words and a colour: what the settings list and the
// repository page show.
import { Badge, RelativeTime } from "@/app/_components/ui";

const TONES: Record<string, "green" | "slate" | "red" | "amber"> = { processed: "green", ignored: "slate", failed: "red", received: "amber" };

export function LastDelivery({ delivery }: { delivery: { at: Date; status: string; summary: string | null } | null }) {
  if (!delivery) return <span className="text-sm text-slate-500">No delivery received yet.</span>;
  return (
    <span className="text-sm text-slate-700">
      Last delivery <RelativeTime date={delivery.at} /> <Badge tone={TONES[delivery.status] ?? "slate"}>{delivery.status}</Badge>
      {delivery.summary && <span className="block text-xs text-slate-500">{delivery.summary}</span>}
    </span>
  );
}

export function DeliveryStatus({ status }: { status: string }) {
  return <Badge tone={TONES[status] ?? "slate"}>{status}</Badge>;
}
