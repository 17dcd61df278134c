// The small "Threaded via …" disclosure on the description and on each emailed note: which mail it was and
// how routing matched it (reply key, References/In-Reply-To, the Service Desk address), for the team.
import { RelativeTime } from "@/app/_components/ui";
import { keyFromAddress } from "@/lib/service-desk/address";

export interface ThreadEmail {
  status: string;
  reason: string | null;
  messageId: string | null;
  fromAddress: string | null;
  receivedAt: Date;
}

/**
 * A short name for how a mail was routed, from the routing reason intake stored: "To: <address>" (or another
 * address header), "References: <id>", or an address followed by "; References: …".
 */
export function routeLabel(reason: string | null): string {
  if (!reason) return "email";
  const [first, ...rest] = reason.split("; ");
  const threaded = rest.some((part) => part.startsWith("References"));
  if (first.startsWith("References")) return /<reply-[0-9a-f]{32}@/i.test(first) ? "reply key (References)" : "References / In-Reply-To";
  const match = /^([^:]+): (\S+)$/.exec(first);
  if (!match) return "email";
  const [, where, address] = match;
  const key = keyFromAddress(address);
  if (key?.kind === "reply") return `reply key (${where})`;
  return threaded ? `References / In-Reply-To (sent to the Service Desk address)` : `Service Desk address (${where})`;
}

export function ThreadEmailDetail({ email }: { email: ThreadEmail }) {
  const created = email.status === "created_issue";
  return (
    <details className="group mt-3 text-xs text-slate-500" data-testid="threaded-via">
      <summary className="cursor-pointer select-none hover:text-slate-700">
        {created ? "Received via" : "Threaded via"} {routeLabel(email.reason)}
      </summary>
      <dl className="mt-2 grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1 rounded-md bg-slate-50 px-3 py-2 font-mono">
        {email.fromAddress && (
          <>
            <dt className="text-slate-400">From</dt>
            <dd className="break-all">{email.fromAddress}</dd>
          </>
        )}
        {email.messageId && (
          <>
            <dt className="text-slate-400">Message-ID</dt>
            <dd className="break-all">&lt;{email.messageId}&gt;</dd>
          </>
        )}
        {email.reason && (
          <>
            <dt className="text-slate-400">Matched</dt>
            <dd className="break-all">{email.reason}</dd>
          </>
        )}
        <dt className="text-slate-400">Received</dt>
        <dd>
          <RelativeTime date={email.receivedAt} />
        </dd>
      </dl>
    </details>
  );
}
