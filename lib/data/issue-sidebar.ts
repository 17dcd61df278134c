// Everything the issue page's sidebar shows, as plain data, cut to what the actor may see: labels and
// assignees for anyone who sees the issue; pickers for triagers (Reporter+); participants only with
// "issue:participants", their addresses as address-visibility.ts allows.
import type { Actor } from "@/lib/auth/actor";
import { can } from "@/lib/auth/roles";
import { db } from "@/lib/db/client";
import { SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { assignableMembersOf, type AssigneeView } from "./assignees";
import { requireVisibleIssue } from "./issues";
import { labelSelect, sortLabels, type LabelView } from "./labels";
import { MAX_PARTICIPANTS, participantSelect, toParticipantView, type ParticipantView } from "./participants";
import { addressRule } from "./address-visibility";

export interface IssueSidebarData {
  projectPath: string;
  iid: number;
  currentUserId: string;
  isServiceDesk: boolean;
  assignees: AssigneeView[];
  labels: LabelView[];
  /** Only for actors who can triage (else empty). */
  projectLabels: LabelView[];
  /** Only for actors who can triage (else empty). */
  assignableMembers: AssigneeView[];
  /** Only with "issue:participants" on a Service Desk issue (else empty). */
  participants: ParticipantView[];
  maxParticipants: number;
  permissions: { canTriage: boolean; canManageParticipants: boolean };
}

export async function getIssueSidebar(actor: Actor | null, projectPath: string, iid: number): Promise<IssueSidebarData> {
  const { id, project, role } = await requireVisibleIssue(actor, projectPath, iid, "issue:read");
  const canTriage = can(role, "issue:triage");
  const canSeeParticipants = can(role, "issue:participants");
  const addresses = addressRule(role);
  const issue = await db().issue.findUniqueOrThrow({
    where: { id },
    select: {
      iid: true,
      authorId: true,
      confidential: true,
      labels: { select: { label: { select: labelSelect } } },
      assignees: { select: { user: { select: { id: true, username: true, name: true } } } },
    },
  });
  const isServiceDesk = issue.authorId === SUPPORT_BOT_ID;
  const [projectLabels, assignableMembers, participants] = await Promise.all([
    canTriage ? db().label.findMany({ where: { projectId: project.id }, select: labelSelect }) : [],
    canTriage ? assignableMembersOf(db(), project.id, issue.confidential) : [],
    canSeeParticipants && isServiceDesk
      ? db().issueEmailParticipant.findMany({
          where: { issueId: id },
          orderBy: { id: "asc" },
          select: participantSelect,
        })
      : [],
  ]);
  return {
    projectPath: project.fullPath,
    iid: issue.iid,
    currentUserId: actor!.id,
    isServiceDesk,
    assignees: issue.assignees.map((a) => a.user).sort((a, b) => a.username.localeCompare(b.username)),
    labels: sortLabels(issue.labels.map((l) => l.label)),
    projectLabels: sortLabels(projectLabels),
    assignableMembers,
    participants: participants.map((row) => toParticipantView(row, addresses)),
    maxParticipants: MAX_PARTICIPANTS,
    permissions: { canTriage, canManageParticipants: canSeeParticipants && isServiceDesk },
  };
}
