// Project shell: sidebar (Issues, Service Desk, Templates, Members, Mail log, Settings) next to the page; each
// link only for the roles whose pages would not answer 404.
import { ROLE_LABELS } from "@/lib/auth/roles";
import { projectNotificationLevelForShell } from "@/lib/data/notification-settings";
import { NotificationLevelSelect } from "./notification-level";
import { projectFromParams, type ProjectParams } from "./project-context";
import { SidebarLink } from "./sidebar-link";

export default async function ProjectLayout({ children, params }: { children: React.ReactNode; params: Promise<ProjectParams> }) {
  const { actor, project } = await projectFromParams(params);
  const level = await projectNotificationLevelForShell(actor, project.fullPath);
  const base = `/${project.fullPath}`;
  const can = project.permissions;
  const links = [
    { href: `${base}/issues`, label: "Issues", show: true },
    // Service Desk issues are confidential by default: the tracker is for Reporters and up.
    { href: `${base}/service-desk`, label: "Service Desk", show: can["issue:read_confidential"] },
    { href: `${base}/templates`, label: "Templates", show: true },
    { href: `${base}/members`, label: "Members", show: true },
    { href: `${base}/mail-log`, label: "Mail log", show: can["project:settings"] },
    { href: `${base}/settings`, label: "Settings", show: can["project:settings"] },
  ].filter((link) => link.show);
  return (
    <div className="mx-auto flex max-w-7xl gap-8 px-4 py-6">
      <aside className="hidden w-56 shrink-0 md:block">
        <div className="mb-4 px-2">
          <div className="truncate font-semibold text-slate-900">{project.name}</div>
          <div className="truncate text-xs text-slate-500">
            {project.fullPath} · {ROLE_LABELS[project.role]}
          </div>
          <div className="mt-3">
            <NotificationLevelSelect projectPath={project.fullPath} level={level} />
          </div>
        </div>
        <nav className="space-y-0.5" aria-label="Project">
          {links.map((link) => (
            <SidebarLink key={link.href} href={link.href}>
              {link.label}
            </SidebarLink>
          ))}
        </nav>
      </aside>
      <main className="min-w-0 flex-1">
        <nav className="mb-4 flex flex-wrap gap-3 text-sm md:hidden" aria-label="Project">
          {links.map((link) => (
            <SidebarLink key={link.href} href={link.href}>
              {link.label}
            </SidebarLink>
          ))}
        </nav>
        {children}
      </main>
    </div>
  );
}
