// Project shell: sidebar (Issues, Service Desk, Templates, Members, Settings) next to the page.
import { ROLE_LABELS } from "@/lib/auth/roles";
import { projectFromParams, type ProjectParams } from "./project-context";
import { SidebarLink } from "./sidebar-link";

export default async function ProjectLayout({ children, params }: { children: React.ReactNode; params: Promise<ProjectParams> }) {
  const { project } = await projectFromParams(params);
  const base = `/${project.fullPath}`;
  return (
    <div className="mx-auto flex max-w-7xl gap-8 px-4 py-6">
      <aside className="hidden w-56 shrink-0 md:block">
        <div className="mb-4 px-2">
          <div className="truncate font-semibold text-slate-900">{project.name}</div>
          <div className="truncate text-xs text-slate-500">
            {project.fullPath} · {ROLE_LABELS[project.role]}
          </div>
        </div>
        <nav className="space-y-0.5" aria-label="Project">
          <SidebarLink href={`${base}/issues`}>Issues</SidebarLink>
          <SidebarLink href={`${base}/service-desk`}>Service Desk</SidebarLink>
          <SidebarLink href={`${base}/templates`}>Templates</SidebarLink>
          <SidebarLink href={`${base}/members`}>Members</SidebarLink>
          {project.permissions["project:settings"] && <SidebarLink href={`${base}/settings`}>Settings</SidebarLink>}
        </nav>
      </aside>
      <main className="min-w-0 flex-1">
        <nav className="mb-4 flex flex-wrap gap-3 text-sm md:hidden" aria-label="Project">
          <SidebarLink href={`${base}/issues`}>Issues</SidebarLink>
          <SidebarLink href={`${base}/service-desk`}>Service Desk</SidebarLink>
          <SidebarLink href={`${base}/templates`}>Templates</SidebarLink>
          <SidebarLink href={`${base}/members`}>Members</SidebarLink>
          {project.permissions["project:settings"] && <SidebarLink href={`${base}/settings`}>Settings</SidebarLink>}
        </nav>
        {children}
      </main>
    </div>
  );
}
