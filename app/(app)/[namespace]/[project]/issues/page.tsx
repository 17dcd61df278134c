// Issue list with Open / Closed / All tabs.
import type { Metadata } from "next";
import Link from "next/link";
import { Badge, ButtonLink, cx, EmptyState, PageHeader, RelativeTime } from "@/app/_components/ui";
import { listIssues, type StateFilter } from "@/lib/data/issues";
import { projectFromParams, type ProjectParams } from "../project-context";

export const metadata: Metadata = { title: "Issues" };

const TABS: { key: StateFilter; label: string }[] = [
  { key: "opened", label: "Open" },
  { key: "closed", label: "Closed" },
  { key: "all", label: "All" },
];

export default async function IssuesPage({
  params,
  searchParams,
}: {
  params: Promise<ProjectParams>;
  searchParams: Promise<{ state?: string }>;
}) {
  const { actor, project } = await projectFromParams(params);
  const requested = (await searchParams).state;
  const state: StateFilter = requested === "closed" || requested === "all" ? requested : "opened";
  const { issues, counts } = await listIssues(actor, project.fullPath, state);
  const base = `/${project.fullPath}/issues`;
  const canCreate = project.permissions["issue:create"];

  return (
    <>
      <PageHeader title="Issues" actions={canCreate && <ButtonLink href={`${base}/new`}>New issue</ButtonLink>} />
      <div className="mb-4 flex gap-1 border-b border-slate-200" role="tablist">
        {TABS.map((tab) => (
          <Link
            key={tab.key}
            href={tab.key === "opened" ? base : `${base}?state=${tab.key}`}
            role="tab"
            aria-selected={tab.key === state}
            className={cx(
              "-mb-px border-b-2 px-3 py-2 text-sm",
              tab.key === state ? "border-indigo-600 font-medium text-slate-900" : "border-transparent text-slate-600 hover:text-slate-900",
            )}
          >
            {tab.label} <span className="ml-1 rounded-full bg-slate-100 px-1.5 text-xs text-slate-600">{counts[tab.key]}</span>
          </Link>
        ))}
      </div>
      {issues.length === 0 ? (
        <EmptyState
          title={state === "closed" ? "No closed issues" : state === "all" ? "No issues yet" : "No open issues"}
          action={canCreate && state !== "closed" && <ButtonLink href={`${base}/new`}>New issue</ButtonLink>}
        >
          {state === "closed"
            ? "Issues you close show up here."
            : "Issues track work and support requests. Create one, or turn on Service Desk so customer mail becomes issues."}
        </EmptyState>
      ) : (
        <ul className="divide-y divide-slate-200 overflow-hidden rounded-lg border border-slate-200 bg-white">
          {issues.map((issue) => (
            <li key={issue.iid} className="flex items-start gap-3 px-4 py-3 hover:bg-slate-50">
              <span className={cx("mt-1.5 size-2 shrink-0 rounded-full", issue.state === "OPENED" ? "bg-green-500" : "bg-slate-400")} aria-hidden />
              <div className="min-w-0 flex-1">
                <Link href={`${base}/${issue.iid}`} className="font-medium text-slate-900 hover:text-indigo-700">
                  {issue.title}
                </Link>
                <span className="ml-2 inline-flex gap-1 align-middle">
                  {issue.confidential && <Badge tone="amber">Confidential</Badge>}
                  {issue.state === "CLOSED" && <Badge>Closed</Badge>}
                </span>
                <div className="mt-0.5 text-xs text-slate-500">
                  #{issue.iid} · opened <RelativeTime date={issue.createdAt} /> by {issue.externalAuthor ?? issue.author.name ?? issue.author.username}
                </div>
              </div>
              <div className="shrink-0 text-right text-xs text-slate-500">
                <div title="Comments">💬 {issue.notes}</div>
                <div>
                  updated <RelativeTime date={issue.updatedAt} />
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
