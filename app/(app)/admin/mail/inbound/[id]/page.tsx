// One stored inbound mail: its outcome, the error if processing failed, the raw source (escaped) and Replay;
// once the raw source was purged (retention or erasure), the header lines kept instead and why.
import type { Metadata } from "next";
import Link from "next/link";
import { ActionButton } from "@/app/_components/action-button";
import { StatusBadge } from "@/app/_components/mail-log";
import { Card, PageHeader, RelativeTime } from "@/app/_components/ui";
import { orNotFound, requireActor } from "@/lib/auth/page-access";
import { getInboundMail } from "@/lib/data/mail-log";
import { replayInboundAction } from "../../actions";

export const metadata: Metadata = { title: "Inbound mail" };

export default async function InboundMailPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const actor = await requireActor(`/admin/mail/inbound/${id}`);
  const mail = await orNotFound(getInboundMail(actor, id));
  const back = actor.isAdmin ? "/admin/mail" : mail.projectPath ? `/${mail.projectPath}/mail-log` : "/";
  const rows: [string, React.ReactNode][] = [
    ["Status", <StatusBadge key="s" status={mail.status} />],
    ["Reason", mail.reason ?? "—"],
    ["From", mail.fromAddress ?? "—"],
    ["Message-ID", mail.messageId ?? "—"],
    ["Source", mail.source],
    ["Size", `${mail.size.toLocaleString("en")} bytes`],
    ["Received", <RelativeTime key="r" date={mail.receivedAt} />],
    ["Attempts", mail.attempts],
    ["Raw source", mail.purgedAt ? "purged" : "kept"],
    [
      "Issue",
      mail.projectPath && mail.issueIid ? (
        <Link key="i" href={`/${mail.projectPath}/issues/${mail.issueIid}`} className="text-indigo-700 hover:underline">
          {mail.projectPath}#{mail.issueIid}
        </Link>
      ) : (
        "—"
      ),
    ],
  ];
  return (
    <main className="mx-auto max-w-5xl px-4 py-8">
      <p className="mb-2 text-sm">
        <Link href={back} className="text-indigo-700 hover:underline">
          ← Mail log
        </Link>
      </p>
      <PageHeader
        title={mail.subject || "(no subject)"}
        actions={mail.replayable && <ActionButton action={replayInboundAction.bind(null, { id: mail.id })} variant="primary">Replay</ActionButton>}
      />
      <Card className="mb-6 p-4">
        <dl className="grid grid-cols-[10rem_1fr] gap-x-4 gap-y-2 text-sm">
          {rows.map(([label, value]) => (
            <div key={label} className="contents">
              <dt className="text-slate-500">{label}</dt>
              <dd className="break-all text-slate-900">{value}</dd>
            </div>
          ))}
        </dl>
        {mail.error && (
          <pre className="mt-4 overflow-x-auto rounded bg-red-50 p-3 text-xs whitespace-pre-wrap text-red-800">{mail.error}</pre>
        )}
      </Card>
      {mail.purgedAt ? (
        <section aria-label="Raw source purged">
          <h2 className="mb-2 text-sm font-semibold text-slate-900">Raw source purged</h2>
          <p className="mb-3 text-sm text-slate-600">
            The raw message was deleted <RelativeTime date={mail.purgedAt} />: stored mail is kept only as long as it is needed
            (the retention period, or the customer&apos;s data was erased). The outcome, sender, subject and issue link stay;
            attachments belong to the issue. These header lines were kept:
          </p>
          {mail.headersSummary.length ? (
            <dl aria-label="Kept headers" className="grid grid-cols-[10rem_1fr] gap-x-4 gap-y-1 rounded-lg border border-slate-200 bg-slate-50 p-3 text-xs">
              {mail.headersSummary.map((header, index) => (
                <div key={index} className="contents">
                  <dt className="text-slate-500">{header.name}</dt>
                  <dd className="break-all text-slate-800">{header.value}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p className="text-sm text-slate-500">No header lines were kept.</p>
          )}
        </section>
      ) : (
        <>
          <h2 className="mb-2 text-sm font-semibold text-slate-900">Raw source{mail.raw.truncated && " (first 256 KB)"}</h2>
          <pre aria-label="Raw source" className="max-h-[32rem] overflow-auto rounded-lg border border-slate-200 bg-slate-50 p-3 text-xs whitespace-pre-wrap text-slate-800">
            {mail.raw.text}
          </pre>
        </>
      )}
    </main>
  );
}
