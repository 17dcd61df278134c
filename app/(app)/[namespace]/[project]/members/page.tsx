// Project members: everyone sees the list (emails only Maintainers and up, as listMembers returns them);
// Maintainers and Owners add people, change roles and remove them.
import type { Metadata } from "next";
import { Badge, Card, PageHeader, RelativeTime } from "@/app/_components/ui";
import { canAssignRole, ROLE_LABELS, ROLES } from "@/lib/auth/roles";
import { listMembers } from "@/lib/data/members";
import { projectFromParams, type ProjectParams } from "../project-context";
import { AddMemberForm } from "./add-member-form";
import { MemberControls } from "./member-controls";

export const metadata: Metadata = { title: "Members" };

export default async function MembersPage({ params }: { params: Promise<ProjectParams> }) {
  const { actor, project } = await projectFromParams(params);
  const members = await listMembers(actor, project.fullPath);
  const manage = project.permissions["member:manage"];
  const assignable = ROLES.filter((role) => canAssignRole(project.role, null, role));

  return (
    <>
      <PageHeader
        title="Members"
        description={manage ? "People with access to this project and what they may do." : "People with access to this project."}
      />
      {manage && (
        <Card className="mb-6 p-4">
          <h2 className="mb-3 text-sm font-semibold text-slate-900">Add a member</h2>
          <AddMemberForm projectPath={project.fullPath} roles={assignable} />
        </Card>
      )}
      <Card>
        <table className="w-full text-sm">
          <thead>
            <tr className="border-b border-slate-200 text-left text-xs tracking-wide text-slate-500 uppercase">
              <th className="px-4 py-2 font-medium">Member</th>
              <th className="px-4 py-2 font-medium">Since</th>
              <th className="px-4 py-2 font-medium">Role</th>
              <th className="px-4 py-2" />
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {members.map((m) => {
              const self = m.userId === actor.id;
              const editable = manage && canAssignRole(project.role, m.role, m.role);
              return (
                <tr key={m.userId} data-testid={`member-${m.email ?? m.username}`}>
                  <td className="px-4 py-3">
                    <div className="font-medium text-slate-900">
                      {m.name ?? m.username} {self && <Badge tone="blue">It&apos;s you</Badge>}
                    </div>
                    <div className="text-slate-500">
                      @{m.username}
                      {m.email && ` · ${m.email}`}
                    </div>
                  </td>
                  <td className="px-4 py-3 text-slate-500">
                    <RelativeTime date={m.since} />
                  </td>
                  <MemberControls
                    projectPath={project.fullPath}
                    userId={m.userId}
                    email={m.email ?? `@${m.username}`}
                    role={m.role}
                    roleLabel={ROLE_LABELS[m.role]}
                    roles={editable ? assignable : []}
                    canRemove={self || editable}
                    self={self}
                  />
                </tr>
              );
            })}
          </tbody>
        </table>
      </Card>
    </>
  );
}
