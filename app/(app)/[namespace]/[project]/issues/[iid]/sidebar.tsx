// The issue page's right column: assignees, labels and (Service Desk issues, Reporter and up) external
// participants. Loads its own data, cut by getIssueSidebar to what the signed-in user may see and change.
import { getActor } from "@/lib/auth/session";
import { orNotFound } from "@/lib/auth/page-access";
import { getIssueSidebar } from "@/lib/data/issue-sidebar";
import { linkableRepositories, listLinkedChanges } from "@/lib/data/linked-changes";
import { getIssueSubscription } from "@/lib/data/notification-settings";
import { SidebarAssignees } from "./sidebar-assignees";
import { SidebarLabels } from "./sidebar-labels";
import { SidebarLinkedChanges } from "./sidebar-linked-changes";
import { SidebarParticipants } from "./sidebar-participants";
import { SubscriptionToggle } from "./subscription-toggle";

export async function IssueSidebar({ projectPath, iid }: { projectPath: string; iid: number }) {
  const actor = await getActor();
  const data = await orNotFound(getIssueSidebar(actor, projectPath, iid));
  const { permissions } = data;
  const [changes, repositories, standing] = await Promise.all([
    orNotFound(listLinkedChanges(actor, projectPath, iid)),
    // Below Reporter there is nothing to link with (and the list of repositories is not theirs to see).
    linkableRepositories(actor, projectPath).catch(() => []),
    orNotFound(getIssueSubscription(actor, projectPath, iid)),
  ]);
  return (
    <aside aria-label="Issue details" className="divide-y divide-slate-200 text-sm">
      <SubscriptionToggle projectPath={data.projectPath} iid={data.iid} standing={standing} />
      <SidebarAssignees
        projectPath={data.projectPath}
        iid={data.iid}
        currentUserId={data.currentUserId}
        assignees={data.assignees}
        members={data.assignableMembers}
        canEdit={permissions.canTriage}
      />
      <SidebarLabels
        projectPath={data.projectPath}
        iid={data.iid}
        labels={data.labels}
        projectLabels={data.projectLabels}
        canEdit={permissions.canTriage}
      />
      <SidebarLinkedChanges
        projectPath={data.projectPath}
        iid={data.iid}
        changes={changes.map(({ id, provider, repositoryPath, kind, reference, title, url, state, closedIssue, source }) => ({ id, provider, repositoryPath, kind, reference, title, url, state, closedIssue, source }))}
        canLink={repositories.length > 0}
        hasRepositories={repositories.length > 0}
      />
      {permissions.canManageParticipants && (
        <SidebarParticipants
          projectPath={data.projectPath}
          iid={data.iid}
          participants={data.participants.map(({ id, email, status }) => ({ id, email, status }))}
          max={data.maxParticipants}
        />
      )}
    </aside>
  );
}
