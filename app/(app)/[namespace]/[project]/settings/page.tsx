// Project settings (Maintainer and up; others get 404): general information, Service Desk (switch, address,
// alias, From name, issue template, behaviour), the email templates, and the history of changes.
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { CopyButton } from "@/app/_components/copy-button";
import { Badge, Card, PageHeader, RelativeTime } from "@/app/_components/ui";
import { orNotFound } from "@/lib/auth/page-access";
import { EMAIL_TEMPLATE_INFO, listEmailTemplates } from "@/lib/data/email-templates";
import { getIssueReferenceKey, listRepositories } from "@/lib/data/code-repositories";
import { getServiceDeskSettings, listSettingEvents } from "@/lib/data/service-desk";
import { projectFromParams, type ProjectParams } from "../project-context";
import { ServiceDeskSettingsForm } from "./service-desk-form";
import { LinkRepositoryForm } from "./repositories/link-repository-form";
import { ReferenceKeyForm } from "./repositories/reference-key-form";
import { UnlinkRepositoryButton } from "./repositories/repository-controls";
import { LastDelivery } from "./repositories/repository-status";
import { ServiceDeskToggle } from "./service-desk-toggle";

export const metadata: Metadata = { title: "Settings" };

function SectionHeading({ id, title, children }: { id: string; title: string; children?: React.ReactNode }) {
  return (
    <div className="mb-3">
      <h2 id={id} className="text-base font-semibold text-slate-900">
        {title}
      </h2>
      {children && <p className="mt-1 text-sm text-slate-600">{children}</p>}
    </div>
  );
}

export default async function SettingsPage({ params }: { params: Promise<ProjectParams> }) {
  const { actor, project } = await projectFromParams(params);
  if (!project.permissions["project:settings"]) notFound();
  const [settings, templates, history, repositories, referenceKey] = await Promise.all([
    orNotFound(getServiceDeskSettings(actor, project.fullPath)),
    orNotFound(listEmailTemplates(actor, project.fullPath)),
    orNotFound(listSettingEvents(actor, project.fullPath, { limit: 20 })),
    orNotFound(listRepositories(actor, project.fullPath)),
    orNotFound(getIssueReferenceKey(actor, project.fullPath)),
  ]);
  const { enabled, ...formValues } = settings.values;
  const base = `/${project.fullPath}`;

  return (
    <>
      <PageHeader title="Settings" description="This project's details and how it answers support requests by email." />
      <div className="space-y-10">
        <section aria-labelledby="general-heading">
          <SectionHeading id="general-heading" title="General" />
          <Card className="p-6">
            <dl className="grid gap-4 text-sm sm:grid-cols-[12rem_1fr]">
              <dt className="font-medium text-slate-700">Name</dt>
              <dd>{project.name}</dd>
              <dt className="font-medium text-slate-700">Path</dt>
              <dd>
                <code className="rounded bg-slate-100 px-1">{project.fullPath}</code>
              </dd>
              <dt className="font-medium text-slate-700">Project ID</dt>
              <dd>{project.id}</dd>
              <dt className="font-medium text-slate-700">Description</dt>
              <dd className="whitespace-pre-wrap">{project.description || <span className="text-slate-400">None</span>}</dd>
            </dl>
          </Card>
        </section>

        <section aria-labelledby="service-desk-heading">
          <SectionHeading id="service-desk-heading" title="Service Desk">
            Customers email the project&apos;s address; each mail becomes a confidential issue and your public comments are
            emailed back.
          </SectionHeading>
          <Card className="divide-y divide-slate-200">
            <div className="space-y-4 p-6">
              <ServiceDeskToggle projectPath={project.fullPath} enabled={enabled} />
              {enabled && (
                <div className="space-y-3 text-sm">
                  <div>
                    <div className="font-medium text-slate-700">Service Desk address</div>
                    <div className="mt-1 flex flex-wrap items-center gap-2">
                      <code className="rounded bg-slate-100 px-2 py-1" data-testid="service-desk-address">
                        {settings.address}
                      </code>
                      <CopyButton value={settings.address} />
                    </div>
                  </div>
                  {settings.alias?.address && (
                    <div>
                      <div className="font-medium text-slate-700">Alias address</div>
                      <div className="mt-1 flex flex-wrap items-center gap-2">
                        <code className="rounded bg-slate-100 px-2 py-1" data-testid="service-desk-alias-address">
                          {settings.alias.address}
                        </code>
                        <CopyButton value={settings.alias.address} />
                      </div>
                    </div>
                  )}
                  <p className="text-xs text-slate-500">Addresses in the older format (with the project path) keep working; share the one above.</p>
                </div>
              )}
            </div>
            <div className="p-6">
              <ServiceDeskSettingsForm
                projectPath={project.fullPath}
                values={formValues}
                alias={settings.alias}
                defaultOutgoingName={settings.defaultOutgoingName}
                issueTemplates={settings.issueTemplates}
              />
            </div>
          </Card>
        </section>

        <section aria-labelledby="email-templates-heading">
          <SectionHeading id="email-templates-heading" title="Email templates">
            The wording of mail to customers, in Markdown with placeholders such as <code>%{"{ISSUE_ID}"}</code>.
          </SectionHeading>
          <ul className="divide-y divide-slate-200 overflow-hidden rounded-lg border border-slate-200 bg-white">
            {templates.map((template) => (
              <li key={template.name} className="flex flex-wrap items-center gap-3 px-4 py-3">
                <div className="min-w-0 flex-1">
                  <Link href={`${base}/settings/email-templates/${template.name}`} className="font-medium text-slate-900 hover:text-indigo-700">
                    {EMAIL_TEMPLATE_INFO[template.name].title}
                  </Link>{" "}
                  <code className="text-xs text-slate-500">{template.name}</code>
                  <div className="text-xs text-slate-500">Sent {EMAIL_TEMPLATE_INFO[template.name].sentWhen}.</div>
                </div>
                <div className="text-right text-xs text-slate-500">
                  {template.isCustom ? <Badge tone="violet">Custom</Badge> : <Badge>Default</Badge>}
                  {template.isCustom && template.updatedAt && (
                    <div className="mt-1">
                      {template.updatedBy ? `by ${template.updatedBy} · ` : ""}
                      <RelativeTime date={template.updatedAt} />
                    </div>
                  )}
                </div>
                <Link
                  href={`${base}/settings/email-templates/${template.name}`}
                  className="text-sm font-medium text-indigo-700 hover:underline"
                  aria-label={`Edit the ${EMAIL_TEMPLATE_INFO[template.name].title} template`}
                >
                  Edit
                </Link>
              </li>
            ))}
          </ul>
        </section>

        <section aria-labelledby="repositories-heading">
          <SectionHeading id="repositories-heading" title="Repositories">
            Link the GitHub or GitLab repositories where fixes land: a commit or merge request that says{" "}
            <code>Fixes {project.fullPath}#12</code> closes the issue when it reaches the default branch, and the customer is told (when
            &ldquo;Email the customer when an issue is closed&rdquo; is on).
          </SectionHeading>
          <Card className="divide-y divide-slate-200">
            {repositories.length === 0 ? (
              <p className="p-6 text-sm text-slate-500">No repository is linked yet. Link one below, then add the webhook it shows on GitHub or GitLab.</p>
            ) : (
              <ul aria-label="Linked repositories" className="divide-y divide-slate-200">
                {repositories.map((repository) => (
                  <li key={repository.id} className="flex flex-wrap items-center gap-3 px-6 py-4">
                    <div className="min-w-0 flex-1">
                      <Link href={`${base}/settings/repositories/${repository.id}`} className="font-medium text-slate-900 hover:text-indigo-700">
                        {repository.fullPath}
                      </Link>{" "}
                      <Badge tone={repository.provider === "github" ? "slate" : "violet"}>{repository.provider === "github" ? "GitHub" : "GitLab"}</Badge>
                      <div className="mt-1">
                        <LastDelivery delivery={repository.lastDelivery} />
                      </div>
                    </div>
                    <Link href={`${base}/settings/repositories/${repository.id}`} className="text-sm font-medium text-indigo-700 hover:underline">
                      Webhook &amp; deliveries
                    </Link>
                    <UnlinkRepositoryButton projectPath={project.fullPath} repositoryId={repository.id} fullPath={repository.fullPath} />
                  </li>
                ))}
              </ul>
            )}
            <div className="p-6">
              <h3 className="mb-3 text-sm font-semibold text-slate-900">Link a repository</h3>
              <LinkRepositoryForm projectPath={project.fullPath} />
            </div>
            <div className="p-6">
              <ReferenceKeyForm projectPath={project.fullPath} current={referenceKey} />
            </div>
          </Card>
        </section>

        <section aria-labelledby="history-heading">
          <SectionHeading id="history-heading" title="History">
            Who changed the Service Desk settings and templates, and when (latest 20).
          </SectionHeading>
          {history.length === 0 ? (
            <p className="rounded-lg border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-500">
              No changes yet. Changes to the settings above and to the templates are listed here.
            </p>
          ) : (
            <ol className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white text-sm" aria-label="Settings history">
              {history.map((event) => (
                <li key={event.id} className="px-4 py-3">
                  <ul className="space-y-0.5 text-slate-800">
                    {event.summary.map((line, i) => (
                      <li key={i}>{line}</li>
                    ))}
                  </ul>
                  <div className="mt-1 text-xs text-slate-500">
                    {event.actor ? (event.actor.name ?? event.actor.username) : "A deleted user"} · <RelativeTime date={event.createdAt} />
                  </div>
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </>
  );
}
