// The small "Threaded via …" disclosure on the description and on each emailed note: which mail it was and
// how routing matched it (reply key, References/In-Reply-To, the Service Desk address), for the team. What it
// shows comes cut to the reader's role from getIssue (lib/data/address-visibility.ts): the internal address is named
// only to Maintainers and up.
import { RelativeTime } from "@/app/_components/ui";

export interface ThreadEmail {
  status: string;
  /** How routing matched the mail, in words (address-visibility.ts routeLabel). */
  route: string;
  reason: string | null;
  messageId: string | null;
  fromAddress: string | null;
  receivedAt: Date;
}

export function ThreadEmailDetail({ email }: { email: ThreadEmail }) {
  const created = email.status === "created_issue";
  return (
    <details className="group mt-3 text-xs text-slate-500" data-testid="threaded-via">
      <summary className="cursor-pointer select-none hover:text-slate-700">
        {created ? "Received via" : "Threaded via"} {email.route}
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
