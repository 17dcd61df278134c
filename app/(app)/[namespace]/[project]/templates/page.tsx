// Description templates of the project: every member may read them; Developers and up create, edit and delete.
// Service Desk can append one of them to each new issue (chosen in Settings).
import type { Metadata } from "next";
import Link from "next/link";
import { Badge, ButtonLink, EmptyState, PageHeader, RelativeTime } from "@/app/_components/ui";
import { orNotFound } from "@/lib/auth/page-access";
import { listIssueTemplates } from "@/lib/data/issue-templates";
import { projectFromParams, type ProjectParams } from "../project-context";
import { DeleteTemplateButton } from "./delete-template-button";

export const metadata: Metadata = { title: "Description templates" };

export default async function TemplatesPage({
  params,
  searchParams,
}: {
  params: Promise<ProjectParams>;
  searchParams: Promise<{ created?: string | string[] }>;
}) {
  const { actor, project } = await projectFromParams(params);
  const { templates, canManage } = await orNotFound(listIssueTemplates(actor, project.fullPath));
  const created = (await searchParams).created;
  const base = `/${project.fullPath}/templates`;

  return (
    <>
      <PageHeader
        title="Description templates"
        description="Reusable Markdown for issue descriptions. Service Desk can append one to every new request."
        actions={canManage && templates.length > 0 && <ButtonLink href={`${base}/new`}>New template</ButtonLink>}
      />
      {typeof created === "string" && (
        <p role="status" className="mb-4 rounded-md border border-green-200 bg-green-50 px-3 py-2 text-sm text-green-800">
          Template “{created}” created.
        </p>
      )}
      {templates.length === 0 ? (
        <EmptyState
          title="No description templates yet"
          action={canManage && <ButtonLink href={`${base}/new`}>New template</ButtonLink>}
        >
          {canManage
            ? "Create a template, e.g. a checklist for triaging support requests; a Maintainer can then have Service Desk append it to every new issue."
            : "Developers and up can create templates here."}
        </EmptyState>
      ) : (
        <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white" aria-label="Description templates">
          {templates.map((template) => (
            <li key={template.id} className="px-4 py-3">
              <div className="flex flex-wrap items-start gap-3">
                <div className="min-w-0 flex-1">
                  {canManage ? (
                    <Link href={`${base}/${template.id}`} className="font-medium text-slate-900 hover:text-indigo-700">
                      {template.name}
                    </Link>
                  ) : (
                    <span className="font-medium text-slate-900">{template.name}</span>
                  )}
                  {template.usedByServiceDesk && (
                    <span className="ml-2 align-middle">
                      <Badge tone="blue">Used by Service Desk</Badge>
                    </span>
                  )}
                  <div className="mt-0.5 text-xs text-slate-500">
                    Updated <RelativeTime date={template.updatedAt} />
                  </div>
                </div>
                {canManage && (
                  <div className="flex items-center gap-2">
                    <ButtonLink href={`${base}/${template.id}`} variant="secondary" aria-label={`Edit template ${template.name}`}>
                      Edit
                    </ButtonLink>
                    <DeleteTemplateButton
                      projectPath={project.fullPath}
                      id={template.id}
                      name={template.name}
                      usedByServiceDesk={template.usedByServiceDesk}
                    />
                  </div>
                )}
              </div>
              <details className="mt-2 text-sm">
                <summary className="cursor-pointer text-slate-600">Show content</summary>
                <pre className="mt-2 overflow-x-auto rounded bg-slate-50 p-3 font-mono text-xs whitespace-pre-wrap text-slate-800">
                  {template.content || "(empty)"}
                </pre>
              </details>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
