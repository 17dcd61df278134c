// Instance mail log (admins): every inbound mail with its outcome and every outgoing mail with its delivery state.
import type { Metadata } from "next";
import { mailLogHref, MailLog, MailboxStatusPanel } from "@/app/_components/mail-log";
import { PageHeader } from "@/app/_components/ui";
import { requireActor } from "@/lib/auth/page-access";

export const metadata: Metadata = { title: "Mail log" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

export default async function AdminMailPage({ searchParams }: { searchParams: SearchParams }) {
  const actor = await requireActor("/admin/mail");
  return (
    <main className="mx-auto max-w-7xl px-4 py-8">
      <PageHeader
        title="Mail log"
        description="Every mail the app received or sent. Replay inbound mail that failed or was rejected; retry outgoing mail that failed."
      />
      <MailboxStatusPanel actor={actor} />
      <MailLog
        actor={actor}
        scope={{}}
        searchParams={await searchParams}
        links={{ list: (params) => mailLogHref("/admin/mail", params), inbound: (id) => `/admin/mail/inbound/${id}` }}
      />
    </main>
  );
}
