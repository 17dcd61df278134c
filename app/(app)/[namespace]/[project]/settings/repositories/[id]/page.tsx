// One linked repository (Maintainer and up; others 404): the webhook settings to paste on the host, a new
// secret when the old one is lost, and the log of deliveries (who, what, outcome).
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge, Card, PageHeader, RelativeTime } from "@/app/_components/ui";
import { orNotFound } from "@/lib/auth/page-access";
import { getRepository, listDeliveries } from "@/lib/data/code-repositories";
import { projectFromParams, type ProjectParams } from "../../../project-context";
import { RegenerateSecretButton, UnlinkRepositoryButton } from "../repository-controls";
import { DeliveryStatus, LastDelivery } from "../repository-status";
import { WebhookSetup } from "../webhook-setup";

export const metadata: Metadata = { title: "Repository" };

export default async function RepositoryPage({ params }: { params: Promise<ProjectParams & { id: string }> }) {
  const { id } = await params;
  const { actor, project } = await projectFromParams(params);
  if (!project.permissions["project:settings"] || !/^\d{1,9}$/.test(id)) notFound();
  const [repository, deliveries] = await Promise.all([
    orNotFound(getRepository(actor, project.fullPath, Number(id))),
    orNotFound(listDeliveries(actor, project.fullPath, Number(id), { limit: 50 })),
  ]);
  const settings = `/${project.fullPath}/settings`;
  const host = repository.provider === "github" ? "GitHub" : "GitLab";
  return (
    <>
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-2">
            {repository.fullPath} <Badge tone={repository.provider === "github" ? "slate" : "violet"}>{host}</Badge>
          </span>
        }
        description={
          <>
            <a href={repository.webUrl} className="text-indigo-700 hover:underline" target="_blank" rel="noreferrer">
              {repository.webUrl}
            </a>
            {repository.defaultBranch && <> · default branch <code>{repository.defaultBranch}</code></>} ·{" "}
            <Link href={`${settings}#repositories-heading`} className="text-indigo-700 hover:underline">
              All repositories
            </Link>
          </>
        }
        actions={<UnlinkRepositoryButton projectPath={project.fullPath} repositoryId={repository.id} fullPath={repository.fullPath} redirectTo={settings} />}
      />
      <div className="space-y-8">
        <section aria-labelledby="webhook-heading">
          <h2 id="webhook-heading" className="mb-3 text-base font-semibold text-slate-900">
            Webhook on {host}
          </h2>
          <Card className="space-y-4 p-6">
            <LastDelivery delivery={repository.lastDelivery} />
            <WebhookSetup provider={repository.provider} webUrl={repository.webUrl} webhookUrl={repository.webhookUrl} />
            <RegenerateSecretButton projectPath={project.fullPath} repositoryId={repository.id} />
          </Card>
        </section>
        <section aria-labelledby="deliveries-heading">
          <h2 id="deliveries-heading" className="mb-3 text-base font-semibold text-slate-900">
            Deliveries
          </h2>
          {deliveries.length === 0 ? (
            <p className="rounded-lg border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-500">
              Nothing received yet. Once the webhook is added on {host}, each delivery (and what it did) is listed here.
            </p>
          ) : (
            <ol className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white text-sm" aria-label="Deliveries">
              {deliveries.map((delivery) => (
                <li key={delivery.id} className="px-4 py-3" data-testid="delivery">
                  <div className="flex flex-wrap items-center gap-2">
                    <DeliveryStatus status={delivery.status} />
                    <span className="font-medium text-slate-900">{delivery.summary ?? delivery.event}</span>
                    {delivery.sender && <span className="text-slate-500">by {delivery.sender}</span>}
                    <span className="ml-auto text-xs text-slate-500">
                      <RelativeTime date={delivery.receivedAt} />
                      {delivery.attempts > 1 && ` · ${delivery.attempts} attempts`}
                    </span>
                  </div>
                  {delivery.outcome && <p className="mt-1 text-slate-700">{delivery.outcome}</p>}
                  {delivery.error && delivery.status !== "processed" && <p className="mt-1 text-xs text-red-700">Last error: {delivery.error}</p>}
                  {delivery.status === "received" && <p className="mt-1 text-xs text-amber-700">Not finished yet: it is tried again automatically.</p>}
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </>
  );
}
