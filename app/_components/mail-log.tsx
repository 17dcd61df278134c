// The mail log tables (inbound and outbound), shared by the admin page and a project's mail log page.
import Link from "next/link";
import { ActionButton } from "@/app/_components/action-button";
import { Badge, EmptyState, RelativeTime, cx } from "@/app/_components/ui";
import { replayInboundAction, requeueOutboundAction } from "@/app/(app)/admin/mail/actions";
import type { Actor } from "@/lib/auth/actor";
import { orNotFound } from "@/lib/auth/page-access";
import {
  INBOUND_STATUSES,
  inboundBacklogFor,
  listInboundMail,
  listMailboxStatus,
  listOutboundMail,
  OUTBOUND_STATUSES,
  type MailScope,
} from "@/lib/data/mail-log";

type Tone = Parameters<typeof Badge>[0]["tone"];
const TONES: Record<string, Tone> = {
  created_issue: "green",
  added_note: "green",
  sent: "green",
  delivered: "green",
  duplicate: "slate",
  ignored: "slate",
  dev: "slate",
  received: "blue",
  pending: "blue",
  sending: "blue",
  deferred: "amber",
  held: "amber",
  rejected: "amber",
  spam: "amber",
  failed: "red",
  bounced: "red",
};

// The outbox stores `pending`/`failed` (names its claim query and older rows use); people read the words of
// the delivery states they know: queued, dead.
const OUTBOUND_LABELS: Record<string, string> = { pending: "queued", failed: "dead" };

/** How a status reads in the mail log (`inbound` and `outbound` share the word "failed" with different meanings). */
export function statusLabel(status: string, direction: "inbound" | "outbound" = "inbound") {
  return (direction === "outbound" ? OUTBOUND_LABELS[status] : undefined) ?? status.replace("_", " ");
}

export function StatusBadge({ status, direction }: { status: string; direction?: "inbound" | "outbound" }) {
  return <Badge tone={TONES[status] ?? "slate"}>{statusLabel(status, direction)}</Badge>;
}

export interface MailLogLinks {
  /** The list URL with these query parameters (status filter, cursor, tab). */
  list: (params: Record<string, string | undefined>) => string;
  inbound: (id: string) => string;
}

export function MailLogTabs({ tab, status, statuses, links }: { tab: "inbound" | "outbound"; status?: string; statuses: readonly string[]; links: MailLogLinks }) {
  const tabClass = (active: boolean) =>
    cx("rounded-md px-3 py-1.5 text-sm font-medium", active ? "bg-slate-900 text-white" : "text-slate-700 hover:bg-slate-100");
  return (
    <div className="mb-4 flex flex-wrap items-center gap-2">
      <nav aria-label="Direction" className="flex gap-1">
        <Link href={links.list({ tab: "inbound" })} className={tabClass(tab === "inbound")} aria-current={tab === "inbound" ? "page" : undefined}>
          Inbound
        </Link>
        <Link href={links.list({ tab: "outbound" })} className={tabClass(tab === "outbound")} aria-current={tab === "outbound" ? "page" : undefined}>
          Outbound
        </Link>
      </nav>
      <nav aria-label="Status" className="ml-auto flex flex-wrap gap-1 text-xs">
        <Link href={links.list({ tab })} className={cx("rounded-full px-2 py-1", !status ? "bg-indigo-100 text-indigo-800" : "text-slate-600 hover:bg-slate-100")}>
          all
        </Link>
        {statuses.map((s) => (
          <Link
            key={s}
            href={links.list({ tab, status: s })}
            className={cx("rounded-full px-2 py-1", status === s ? "bg-indigo-100 text-indigo-800" : "text-slate-600 hover:bg-slate-100")}
          >
            {statusLabel(s, tab)}
          </Link>
        ))}
      </nav>
    </div>
  );
}

function issueLink(projectPath: string | null, iid: number | null) {
  if (!projectPath || !iid) return null;
  return (
    <Link href={`/${projectPath}/issues/${iid}`} className="text-indigo-700 hover:underline">
      {projectPath}#{iid}
    </Link>
  );
}

export function InboundTable({ page, links, status }: { page: Awaited<ReturnType<typeof listInboundMail>>; links: MailLogLinks; status?: string }) {
  if (page.mails.length === 0)
    return (
      <EmptyState title={status ? `No inbound mail with status “${status.replace("_", " ")}”` : "No inbound mail yet"}>
        Mail posted to the SendGrid Inbound Parse webhook is stored here before it is processed, so nothing is lost.
      </EmptyState>
    );
  return (
    <>
      <LogTable columns={["Status", "From / subject", "Reason", "Issue", "Received"]}>
            {page.mails.map((mail) => (
              <tr key={mail.id}>
                <td className="px-3 py-2 whitespace-nowrap">
                  <StatusBadge status={mail.status} />
                </td>
                <td className="max-w-xs px-3 py-2">
                  <Link href={links.inbound(mail.id)} className="block truncate font-medium text-slate-900 hover:underline">
                    {mail.subject || "(no subject)"}
                  </Link>
                  <span className="block truncate text-slate-500">{mail.fromAddress ?? "unknown sender"}</span>
                </td>
                <td className="max-w-sm px-3 py-2 text-slate-600">
                  <span className="line-clamp-2">{mail.error ? `${mail.reason ?? ""} ${mail.error}` : mail.reason}</span>
                </td>
                <td className="px-3 py-2 whitespace-nowrap">{issueLink(mail.projectPath, mail.issueIid)}</td>
                <td className="px-3 py-2 whitespace-nowrap text-slate-500">
                  <RelativeTime date={mail.receivedAt} />
                </td>
                <td className="px-3 py-2 text-right">
                  {mail.replayable && <ActionButton action={replayInboundAction.bind(null, { id: mail.id })}>Replay</ActionButton>}
                </td>
              </tr>
            ))}
      </LogTable>
      <Pager nextHref={page.nextCursor ? links.list({ tab: "inbound", status, cursor: page.nextCursor }) : undefined} firstHref={links.list({ tab: "inbound", status })} />
    </>
  );
}

export function OutboundTable({ page, links, status }: { page: Awaited<ReturnType<typeof listOutboundMail>>; links: MailLogLinks; status?: string }) {
  if (page.mails.length === 0)
    return (
      <EmptyState title={status ? `No outgoing mail with status “${statusLabel(status, "outbound")}”` : "No outgoing mail yet"}>
        Thank-you mails, replies to customers and sign-in links appear here with their delivery state.
      </EmptyState>
    );
  return (
    <>
      <LogTable columns={["Status", "To / subject", "Kind", "Attempts / error", "Issue", "Queued"]}>
            {page.mails.map((mail) => (
              <tr key={mail.id}>
                <td className="px-3 py-2 whitespace-nowrap">
                  <StatusBadge status={mail.status} direction="outbound" />
                </td>
                <td className="max-w-xs px-3 py-2">
                  <span className="block truncate font-medium text-slate-900">{mail.subject}</span>
                  <span className="block truncate text-slate-500">{mail.to}</span>
                </td>
                <td className="px-3 py-2 whitespace-nowrap text-slate-600">{mail.kind.replace("_", " ")}</td>
                <td className="max-w-sm px-3 py-2 text-slate-600">
                  <span className="line-clamp-2">
                    {mail.attempts} {mail.attempts === 1 ? "attempt" : "attempts"}
                    {mail.error && ` · ${mail.error}`}
                  </span>
                  {mail.status === "pending" && mail.nextAttemptAt && <NextTry at={mail.nextAttemptAt} />}
                  {mail.providerMessageId && <span className="block truncate text-xs text-slate-400">SendGrid id {mail.providerMessageId}</span>}
                </td>
                <td className="px-3 py-2 whitespace-nowrap">{issueLink(mail.projectPath, mail.issueIid)}</td>
                <td className="px-3 py-2 whitespace-nowrap text-slate-500">
                  <RelativeTime date={mail.createdAt} />
                </td>
                <td className="px-3 py-2 text-right">
                  {mail.retryable && <ActionButton action={requeueOutboundAction.bind(null, { id: mail.id, from: "failed" })}>Retry</ActionButton>}
                  {mail.releasable && <ActionButton action={requeueOutboundAction.bind(null, { id: mail.id, from: "held" })}>Release</ActionButton>}
                </td>
              </tr>
            ))}
      </LogTable>
      <Pager nextHref={page.nextCursor ? links.list({ tab: "outbound", status, cursor: page.nextCursor }) : undefined} firstHref={links.list({ tab: "outbound", status })} />
    </>
  );
}

const untilFormat = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "in 40 seconds", "in 12 minutes", "in 1 hour"; undefined for a time already past. */
function untilText(at: Date, now = new Date()): string | undefined {
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  if (seconds <= 0) return undefined;
  if (seconds < 90) return untilFormat.format(seconds, "second");
  if (seconds < 90 * 60) return untilFormat.format(Math.round(seconds / 60), "minute");
  return untilFormat.format(Math.round(seconds / 3600), "hour");
}

/**
 * When a queued mail is tried next (its retry waits are at most an hour): "next try in 12 minutes", or "next try
 * due 5 minutes ago" when no sender has come by since — then nothing is draining the outbox.
 */
function NextTry({ at }: { at: Date }) {
  const until = untilText(at);
  return (
    <span className="block text-xs text-slate-500">
      next try{" "}
      {until ? (
        <time dateTime={at.toISOString()} title={at.toUTCString()}>
          {until}
        </time>
      ) : (
        <>
          due <RelativeTime date={at} />
        </>
      )}
    </span>
  );
}

/** The table frame both logs share; the last column holds the row's action (Replay, Retry, Release). */
function LogTable({ columns, children }: { columns: string[]; children: React.ReactNode }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <thead className="bg-slate-50 text-left text-xs font-medium text-slate-500 uppercase">
          <tr>
            {columns.map((column) => (
              <th key={column} className="px-3 py-2">
                {column}
              </th>
            ))}
            <th className="px-3 py-2">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">{children}</tbody>
      </table>
    </div>
  );
}

function Pager({ nextHref, firstHref }: { nextHref?: string; firstHref: string }) {
  return (
    <nav aria-label="Pagination" className="mt-3 flex justify-end gap-3 text-sm">
      <Link href={firstHref} className="text-indigo-700 hover:underline">
        Newest
      </Link>
      {nextHref ? (
        <Link href={nextHref} className="text-indigo-700 hover:underline">
          Older →
        </Link>
      ) : (
        <span className="text-slate-400">No older mail</span>
      )}
    </nav>
  );
}

type SearchParams = Record<string, string | string[] | undefined>;
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) || undefined;

/** Reads ?tab=&status=&cursor= and renders the right table; the data functions check who may see what. */
export async function MailLog({ actor, scope, searchParams, links }: { actor: Actor; scope: MailScope; searchParams: SearchParams; links: MailLogLinks }) {
  const tab = one(searchParams.tab) === "outbound" ? "outbound" : "inbound";
  const statuses = tab === "inbound" ? INBOUND_STATUSES : OUTBOUND_STATUSES;
  const status = (statuses as readonly string[]).includes(one(searchParams.status) ?? "") ? one(searchParams.status) : undefined;
  const query = { status, cursor: one(searchParams.cursor) };
  return (
    <>
      <MailLogTabs tab={tab} status={status} statuses={statuses} links={links} />
      {tab === "inbound" ? (
        <>
          <InboundBacklogNotice backlog={await orNotFound(inboundBacklogFor(actor, scope))} links={links} />
          <InboundTable page={await orNotFound(listInboundMail(actor, scope, query))} links={links} status={status} />
        </>
      ) : (
        <OutboundTable page={await orNotFound(listOutboundMail(actor, scope, query))} links={links} status={status} />
      )}
    </>
  );
}

/** Minutes or hours, for how long mail has waited. */
function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Stored mail waiting for the sweeper, and mail given up: what a person should know about, and whether to act. */
function InboundBacklogNotice({ backlog, links }: { backlog: Awaited<ReturnType<typeof inboundBacklogFor>>; links: MailLogLinks }) {
  if (backlog.stuck === 0 && backlog.failed === 0) return null;
  return (
    <section aria-label="Unfinished mail" className="mb-4 space-y-2 text-sm">
      {backlog.stuck > 0 && (
        <p className="rounded-md border border-amber-200 bg-amber-50 px-4 py-2 text-amber-900">
          <Link href={links.list({ tab: "inbound", status: "received" })} className="font-medium hover:underline">
            {backlog.stuck} stored mail(s)
          </Link>{" "}
          interrupted (oldest {duration(backlog.oldest_stuck_seconds ?? 0)} ago): they are processed again automatically for 24 hours. If this
          number does not go down, check the database, and that <code>/api/cron/inbound</code> or <code>npm run worker</code> runs.
        </p>
      )}
      {backlog.failed > 0 && (
        <p className="rounded-md border border-red-200 bg-red-50 px-4 py-2 text-red-900">
          <Link href={links.list({ tab: "inbound", status: "failed" })} className="font-medium hover:underline">
            {backlog.failed} mail(s) failed
          </Link>{" "}
          and wait for you: read the error, fix the cause, then Replay.
        </p>
      )}
    </section>
  );
}

/** Each configured IMAP/Graph mailbox: when it was last polled, last successfully, and its last error. */
export async function MailboxStatusPanel({ actor }: { actor: Actor }) {
  const mailboxes = await orNotFound(listMailboxStatus(actor));
  if (mailboxes.length === 0) return null;
  return (
    <section aria-label="Mailboxes" className="mb-6 space-y-2">
      {mailboxes.map((mailbox) => {
        const failing = mailbox.consecutiveFailures > 0;
        return (
          <div key={mailbox.source} className="rounded-md border border-slate-200 bg-white px-4 py-3 text-sm">
            <div className="flex flex-wrap items-center gap-2">
              <Badge tone={failing ? "red" : mailbox.stale ? "amber" : "green"}>{failing ? "failing" : mailbox.stale ? "not polled" : "ok"}</Badge>
              <span className="font-medium text-slate-900">{mailbox.source}</span>
              <span className="text-slate-500">
                last poll {mailbox.lastAttemptAt ? <RelativeTime date={mailbox.lastAttemptAt} /> : "never"} · last success{" "}
                {mailbox.lastSuccessAt ? <RelativeTime date={mailbox.lastSuccessAt} /> : "never"} · {mailbox.totalMessages} mail(s) taken
              </span>
            </div>
            {failing && mailbox.lastError && (
              <p className="mt-1 text-red-700">
                {mailbox.consecutiveFailures} failed poll(s) in a row: {mailbox.lastError}
              </p>
            )}
            {!failing && mailbox.stale && (
              <p className="mt-1 text-amber-700">
                No successful poll for over {3 * mailbox.intervalSeconds} s: is <code>npm run worker</code> (or the <code>/api/cron/mailbox</code> schedule) running?
              </p>
            )}
          </div>
        );
      })}
    </section>
  );
}

/** `base?tab=…&status=…&cursor=…` without empty parameters. */
export function mailLogHref(base: string, params: Record<string, string | undefined>) {
  const search = new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => !!entry[1]));
  const query = search.toString();
  return query ? `${base}?${query}` : base;
}
