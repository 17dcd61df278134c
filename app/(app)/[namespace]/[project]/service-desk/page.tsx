// Service Desk: the project's support requests (issues that came in by email), its address for
// Maintainers, and the switch to turn it on.
import type { Metadata } from "next";
import Link from "next/link";
import { CopyButton } from "@/app/_components/copy-button";
import { Badge, Card, EmptyState, PageHeader, RelativeTime } from "@/app/_components/ui";
import { listIssues } from "@/lib/data/issues";
import { getServiceDesk } from "@/lib/data/service-desk";
import { projectFromParams, type ProjectParams } from "../project-context";

import { ServiceDeskToggle } from "./service-desk-toggle";

export const metadata: Metadata = { title: "Service Desk" };

export default async function ServiceDeskPage({ params }: { params: Promise<ProjectParams> }) {
  const { actor, project } = await projectFromParams(params);
  const desk = await getServiceDesk(actor, project.fullPath);
  const { issues } = await listIssues(actor, project.fullPath, "all", { serviceDesk: true });
  const maintainer = project.permissions["project:settings"];

  return (
    <>
      <PageHeader
        title="Service Desk"
        description="Support requests that arrived by email. Public comments are emailed to the customer; internal notes never are."
        actions={maintainer && <ServiceDeskToggle projectPath={project.fullPath} enabled={desk.enabled} />}
      />
      {desk.address && desk.enabled && (
        <Card className="mb-6 p-4 text-sm">
          <div className="font-medium text-slate-900">Service Desk address</div>
          <p className="mt-1 text-slate-600">Mail sent here becomes a confidential issue in this project.</p>
          <div className="mt-2 flex flex-wrap items-center gap-2">
            <code className="rounded bg-slate-100 px-2 py-1" data-testid="service-desk-address">
              {desk.aliasAddress ?? desk.address}
            </code>
            <CopyButton value={desk.aliasAddress ?? desk.address} />
          </div>
          <p className="mt-3 text-xs text-slate-500">
            Try it locally: <code className="rounded bg-slate-100 px-1">npm run cli -- mail:send message.eml --to {desk.address}</code>
          </p>
        </Card>
      )}
      {issues.length === 0 ? (
        <EmptyState title={desk.enabled ? "No support requests yet" : "Support by email, right in your issue tracker"}>
          <p>
            With Service Desk on, this project gets its own email address. Anyone can write to it: each mail becomes a
            confidential issue here, your public comments are emailed back to the customer, and their replies land in
            the same thread.
          </p>
          <p className="mt-3">
            {desk.enabled
              ? "Requests appear here as soon as the first mail arrives."
              : maintainer
                ? "Turn on Service Desk above to get the project's address."
                : "Ask a Maintainer of this project to turn on Service Desk."}
          </p>
        </EmptyState>
      ) : (
        <ul className="divide-y divide-slate-200 overflow-hidden rounded-lg border border-slate-200 bg-white">
          {issues.map((issue) => (
            <li key={issue.iid} className="flex items-start gap-3 px-4 py-3 hover:bg-slate-50">
              <div className="min-w-0 flex-1">
                <Link href={`/${project.fullPath}/issues/${issue.iid}`} className="font-medium text-slate-900 hover:text-indigo-700">
                  {issue.title}
                </Link>
                <span className="ml-2 inline-flex gap-1 align-middle">
                  {issue.state === "CLOSED" && <Badge>Closed</Badge>}
                  {issue.confidential && <Badge tone="amber">Confidential</Badge>}
                </span>
                <div className="mt-0.5 text-xs text-slate-500">
                  #{issue.iid} · from {issue.externalAuthor} · <RelativeTime date={issue.createdAt} />
                </div>
              </div>
              <div className="shrink-0 text-right text-xs text-slate-500">
                💬 {issue.notes} · updated <RelativeTime date={issue.updatedAt} />
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
