// /dev/mailbox: every mail the app sent or kept, with headers and the rendered HTML. Development only.
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { devMailboxEnabled, listRecentMail } from "@/lib/data/dev-mailbox";

export const metadata: Metadata = { title: "Dev mailbox", robots: { index: false } };
export const dynamic = "force-dynamic";

export default async function DevMailboxPage() {
  if (!devMailboxEnabled()) notFound();
  const mails = await listRecentMail();
  return (
    <main className="mx-auto max-w-5xl px-4 py-8">
      <h1 className="text-xl font-semibold">Dev mailbox</h1>
      <p className="mt-1 text-sm text-slate-600">
        Outgoing mail of this development server, newest first. Without <code>SENDGRID_API_KEY</code> nothing leaves
        the machine; it is kept here instead. This page does not exist in production.
      </p>
      {mails.length === 0 ? (
        <p className="mt-8 rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center text-sm text-slate-600">
          No mail yet. Ask for a sign-in link and it will appear here.
        </p>
      ) : (
        <ol className="mt-6 space-y-6">
          {mails.map((mail) => (
            <li key={mail.id} className="overflow-hidden rounded-lg border border-slate-200 bg-white" data-testid="dev-mail">
              <div className="border-b border-slate-200 bg-slate-50 px-4 py-3 text-sm">
                <div className="font-medium text-slate-900">{mail.subject}</div>
                <div className="text-slate-600">
                  To <span data-testid="dev-mail-to">{mail.to}</span> · {mail.kind} · {mail.status} via {mail.transport} ·{" "}
                  {mail.createdAt.toISOString()}
                </div>
                {mail.error && <div className="text-red-700">Error: {mail.error}</div>}
              </div>
              <details className="border-b border-slate-200 px-4 py-2 text-xs">
                <summary className="cursor-pointer text-slate-600">Headers</summary>
                <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 font-mono">
                  <dt>From</dt>
                  <dd>{mail.fromName ? `${mail.fromName} <${mail.fromEmail}>` : mail.fromEmail}</dd>
                  {mail.replyTo && (
                    <>
                      <dt>Reply-To</dt>
                      <dd data-testid="dev-mail-reply-to">{mail.replyTo}</dd>
                    </>
                  )}
                  {Object.entries(mail.headers).map(([name, value]) => (
                    <div key={name} className="contents">
                      <dt>{name}</dt>
                      <dd className="break-all">{String(value)}</dd>
                    </div>
                  ))}
                </dl>
              </details>
              {/* The mail's HTML in a sandboxed frame: no scripts, no access to this page. */}
              <iframe title={`Mail ${mail.id}`} sandbox="allow-popups allow-top-navigation-by-user-activation" srcDoc={mail.html} className="h-64 w-full" />
              <details className="px-4 py-2 text-xs">
                <summary className="cursor-pointer text-slate-600">Plain text</summary>
                <pre className="mt-2 whitespace-pre-wrap" data-testid="dev-mail-text">{mail.text}</pre>
              </details>
            </li>
          ))}
        </ol>
      )}
    </main>
  );
}
