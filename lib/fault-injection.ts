// Crash points for the crash tests: with FAULT_KILL_AT=<point>@<n> the process kills itself (SIGKILL: no
// cleanup, no answer, exactly what a power cut or an OOM kill does) the n-th time it reaches <point>. Unset
// in every real deployment, where each call is one comparison.
import { env } from "@/lib/env";

export type CrashPoint =
  | "after-store"
  | "after-claim"
  | "in-write"
  | "after-write"
  | "before-answer"
  // Code-host deliveries (lib/code-hosts): stored, one issue's change committed, outcome recorded.
  | "delivery-after-store"
  | "delivery-after-change"
  | "delivery-before-answer"
  // Team notifications (lib/notifications/fan-out.ts): queued but not taken, the relay to the other customers
  // committed, the team's mails and To-Dos committed.
  | "fanout-queued"
  | "fanout-after-relay"
  | "fanout-after-write";

const reached = new Map<string, number>();

export function crashPoint(point: CrashPoint): void {
  const spec = env().FAULT_KILL_AT;
  if (!spec) return;
  const [name, nth] = spec.split("@");
  if (name !== point) return;
  const count = (reached.get(point) ?? 0) + 1;
  reached.set(point, count);
  if (count === Number(nth ?? 1)) {
    console.error(`FAULT_KILL_AT=${spec}: killing this process at ${point}`);
    process.kill(process.pid, "SIGKILL");
  }
}
