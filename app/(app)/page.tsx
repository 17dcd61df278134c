// Home: the signed-in user's projects.
import Link from "next/link";
import { Badge, ButtonLink, EmptyState, PageHeader } from "@/app/_components/ui";
import { requireActor } from "@/lib/auth/page-access";
import { ROLE_LABELS } from "@/lib/auth/roles";
import { listMyProjects } from "@/lib/data/projects";

export default async function HomePage() {
  const actor = await requireActor("/");
  const projects = await listMyProjects(actor);
  return (
    <main className="mx-auto max-w-5xl px-4 py-8">
      <PageHeader
        title="Your projects"
        description="Projects you are a member of."
        actions={projects.length > 0 && <ButtonLink href="/projects/new">New project</ButtonLink>}
      />
      {projects.length === 0 ? (
        <EmptyState
          title="No projects yet"
          action={<ButtonLink href="/projects/new">Create your first project</ButtonLink>}
        >
          A project holds issues and, once Service Desk is on, the support mail your customers send. Create one,
          or ask a project Maintainer to add you by email.
        </EmptyState>
      ) : (
        <ul className="divide-y divide-slate-200 overflow-hidden rounded-lg border border-slate-200 bg-white">
          {projects.map((p) => (
            <li key={p.id}>
              <Link href={`/${p.fullPath}`} className="flex items-center gap-4 px-4 py-3 hover:bg-slate-50">
                <span className="grid size-9 shrink-0 place-items-center rounded-md bg-indigo-100 font-semibold text-indigo-700 uppercase">
                  {p.name.slice(0, 1)}
                </span>
                <span className="min-w-0 flex-1">
                  <span className="block truncate font-medium text-slate-900">{p.name}</span>
                  <span className="block truncate text-sm text-slate-500">{p.fullPath}{p.description && ` · ${p.description}`}</span>
                </span>
                <span className="text-sm text-slate-500">{p.openIssues} open</span>
                <Badge>{ROLE_LABELS[p.role]}</Badge>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
