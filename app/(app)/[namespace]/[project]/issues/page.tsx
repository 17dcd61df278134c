// The project's issues: Open / Closed / All tabs with counts, filters (labels, assignee, Service Desk, search),
// sort and keyset pages, all in the URL.
import type { Metadata } from "next";
import { LiveRefresh } from "@/app/_components/live/live-refresh";
import { ButtonLink, EmptyState, PageHeader } from "@/app/_components/ui";
import { listIssueFilterOptions, listIssues } from "@/lib/data/issue-list";
import { issueListInputFromSearchParams } from "@/lib/schemas";
import { projectFromParams, type ProjectParams } from "../project-context";
import { InvalidListLink, IssueListView } from "./_list/issue-list-view";
import { loadList } from "./_list/load-list";

export const metadata: Metadata = { title: "Issues" };

export default async function IssuesPage({
  params,
  searchParams,
}: {
  params: Promise<ProjectParams>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { actor, project } = await projectFromParams(params);
  const base = `/${project.fullPath}/issues`;
  const canCreate = project.permissions["issue:create"];
  const [list, options] = await Promise.all([
    loadList(listIssues(actor, project.fullPath, issueListInputFromSearchParams(await searchParams))),
    listIssueFilterOptions(actor, project.fullPath),
  ]);

  return (
    <>
      <PageHeader
        title="Issues"
        actions={
          <div className="flex items-center gap-4">
            <LiveRefresh projectId={project.id} />
            {canCreate && <ButtonLink href={`${base}/new`}>New issue</ButtonLink>}
          </div>
        }
      />
      {list.invalid !== undefined ? (
        <InvalidListLink basePath={base} message={list.invalid} />
      ) : (
        <IssueListView
          basePath={base}
          issuesPath={base}
          query={list.page.query}
          page={list.page}
          options={options}
          variant="issues"
          showAuthorFilter={project.permissions["customer:address"]}
          noun="issues"
          emptyState={
            <EmptyState title="No open issues" action={canCreate && <ButtonLink href={`${base}/new`}>New issue</ButtonLink>}>
              Issues track work and support requests. Create one, or turn on Service Desk so customer mail becomes issues.
            </EmptyState>
          }
        />
      )}
    </>
  );
}
