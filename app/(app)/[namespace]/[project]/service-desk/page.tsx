// The Service Desk tracker (Reporter and up): the project's support requests with filters, search, sort and
// pages in the URL; when there are none, what Service Desk is and (for Maintainers) the address to try it with.
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { CopyButton } from "@/app/_components/copy-button";
import { LiveRefresh } from "@/app/_components/live/live-refresh";
import { Card, EmptyState, PageHeader } from "@/app/_components/ui";
import { listIssueFilterOptions, listServiceDeskIssues } from "@/lib/data/issue-list";
import { getServiceDesk, type ServiceDeskView } from "@/lib/data/service-desk";
import { issueListInputFromSearchParams } from "@/lib/schemas";
import { InvalidListLink, IssueListView } from "../issues/_list/issue-list-view";
import { loadList } from "../issues/_list/load-list";
import { projectFromParams, type ProjectParams } from "../project-context";

export const metadata: Metadata = { title: "Service Desk" };

// A real fixture of the repository, so the command works as printed from a checkout.
const TRY_FIXTURE = "tests/fixtures/mail/plain-text.eml";

export default async function ServiceDeskPage({
  params,
  searchParams,
}: {
  params: Promise<ProjectParams>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { actor, project } = await projectFromParams(params);
  // Service Desk issues are confidential by default: below Reporter there is nothing here to see.
  if (!project.permissions["issue:read_confidential"]) notFound();
  const base = `/${project.fullPath}/service-desk`;
  const settingsHref = `/${project.fullPath}/settings#service-desk-heading`;
  const maintainer = project.permissions["project:settings"];
  const [desk, list, options] = await Promise.all([
    getServiceDesk(actor, project.fullPath),
    loadList(listServiceDeskIssues(actor, project.fullPath, issueListInputFromSearchParams(await searchParams))),
    listIssueFilterOptions(actor, project.fullPath),
  ]);

  return (
    <>
      <PageHeader
        title="Service Desk"
        description="Support requests that arrived by email. Public comments are emailed to the customer; internal notes never are."
        actions={
          <div className="flex items-center gap-4">
            <LiveRefresh projectId={project.id} />
            {maintainer && (
              <Link href={settingsHref} className="text-sm font-medium text-indigo-700 hover:underline">
                Service Desk settings
              </Link>
            )}
          </div>
        }
      />
      {!desk.enabled && list.page && list.page.counts.all > 0 && (
        <div role="status" className="mb-4 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
          Service Desk is off: new mail to this project is not accepted. The requests below stay as they are.
          {maintainer && (
            <>
              {" "}
              <Link href={settingsHref} className="font-medium underline">
                Turn it on in Settings
              </Link>
            </>
          )}
        </div>
      )}
      {list.invalid !== undefined ? (
        <InvalidListLink basePath={base} message={list.invalid} />
      ) : (
        <IssueListView
          basePath={base}
          issuesPath={`/${project.fullPath}/issues`}
          // The tracker's Service Desk filter is implied: its links leave it out.
          query={{ ...list.page.query, serviceDesk: false }}
          page={list.page}
          options={options}
          variant="tracker"
          showAuthorFilter
          noun="requests"
          emptyState={desk.enabled ? <NoRequestsYet desk={desk} /> : <ServiceDeskOff maintainer={maintainer} settingsHref={settingsHref} />}
        />
      )}
    </>
  );
}

function WhatItIs() {
  return (
    <p>
      With Service Desk on, this project gets its own email address. Anyone can write to it: each mail becomes a confidential
      issue here, your public comments are emailed back to the customer, and their replies land in the same thread.
    </p>
  );
}

function ServiceDeskOff({ maintainer, settingsHref }: { maintainer: boolean; settingsHref: string }) {
  return (
    <EmptyState
      title="Support by email, right in your issue tracker"
      action={
        maintainer && (
          <Link
            href={settingsHref}
            className="inline-flex items-center rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500"
          >
            Set up Service Desk in Settings
          </Link>
        )
      }
    >
      <WhatItIs />
      <p className="mt-3">{maintainer ? "Turn it on in the project's settings to get its address." : "Ask a Maintainer of this project to turn on Service Desk."}</p>
    </EmptyState>
  );
}

// `desk.address` is null below Maintainer (lib/data/service-desk.ts): the address never reaches their HTML.
function NoRequestsYet({ desk }: { desk: ServiceDeskView }) {
  const addresses = [
    desk.address && { label: "Service Desk address", value: desk.address, testId: "service-desk-address" },
    desk.aliasAddress && { label: "Alias address", value: desk.aliasAddress, testId: "service-desk-alias-address" },
  ].filter((a): a is { label: string; value: string; testId: string } => !!a);
  return (
    <EmptyState title="No support requests yet">
      <WhatItIs />
      {addresses.length === 0 ? (
        <p className="mt-3">Requests appear here as soon as the first mail arrives. Ask a Maintainer for the project&apos;s address.</p>
      ) : (
        <Card className="mt-4 p-4 text-left">
          <p className="text-slate-700">Requests appear here as soon as the first mail arrives. Tell your customers to write to:</p>
          <dl className="mt-3 space-y-2">
            {addresses.map((a) => (
              <div key={a.testId}>
                <dt className="text-xs font-medium text-slate-500">{a.label}</dt>
                <dd className="mt-1 flex flex-wrap items-center gap-2">
                  <code className="break-all rounded bg-slate-100 px-2 py-1 text-slate-900" data-testid={a.testId}>
                    {a.value}
                  </code>
                  <CopyButton value={a.value} />
                </dd>
              </div>
            ))}
          </dl>
          <p className="mt-4 text-xs text-slate-500">Try it locally, with the app running:</p>
          <div className="mt-1 flex flex-wrap items-center gap-2">
            <code className="break-all rounded bg-slate-100 px-2 py-1 text-xs text-slate-900" data-testid="service-desk-try-command">
              npm run cli -- mail:send {TRY_FIXTURE} --to {addresses[0].value}
            </code>
            <CopyButton value={`npm run cli -- mail:send ${TRY_FIXTURE} --to ${addresses[0].value}`} />
          </div>
        </Card>
      )}
    </EmptyState>
  );
}
