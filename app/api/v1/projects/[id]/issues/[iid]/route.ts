// GET|PUT /api/v1/projects/:id/issues/:iid — one issue; PUT takes state_event (close/reopen), labels (titles;
// missing ones are created, as GitLab does) and assignee_ids, through the same data functions as the UI. The
// single issue also lists its `linked_changes` (commits and merge requests of linked repositories).
import { apiRoute } from "@/lib/api/handler";
import { issueJson, labelTitlesFromApi, linkedChangeJson, parseIid, projectPathFromApiId } from "@/lib/api/resources";
import type { Actor } from "@/lib/auth/actor";
import { setIssueAssignees } from "@/lib/data/assignees";
import { getIssueSidebar } from "@/lib/data/issue-sidebar";
import { getIssue, setIssueState } from "@/lib/data/issues";
import { createLabel, listProjectLabels, setIssueLabels } from "@/lib/data/labels";
import { listLinkedChanges } from "@/lib/data/linked-changes";
import { getProject } from "@/lib/data/projects";
import { AppError } from "@/lib/errors";
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { notifySoon } from "@/lib/notifications/fan-out";

export const dynamic = "force-dynamic";

type Params = { id: string; iid: string };

async function loadIssue(actor: Actor, projectPath: string, iid: number) {
  const project = await getProject(actor, projectPath);
  const [issue, sidebar, changes] = await Promise.all([getIssue(actor, projectPath, iid), getIssueSidebar(actor, projectPath, iid), listLinkedChanges(actor, projectPath, iid)]);
  const commentCount = issue.notes.filter((note) => !note.system).length;
  return { ...issueJson({ ...issue, labels: sidebar.labels, assignees: sidebar.assignees, commentCount }, project), linked_changes: changes.map(linkedChangeJson) };
}

export const GET = apiRoute<Params>(async ({ actor, params }) => loadIssue(actor, await projectPathFromApiId(params.id), parseIid(params.iid)));

export const PUT = apiRoute<Params>(
  async ({ actor, params, body }) => {
    const projectPath = await projectPathFromApiId(params.id);
    const iid = parseIid(params.iid);
    const input = await body();
    // Visibility first: a hidden issue is 404 before anything about the body is said.
    await getIssue(actor, projectPath, iid);

    const stateEvent = input.state_event;
    if (stateEvent !== undefined && stateEvent !== "close" && stateEvent !== "reopen")
      throw new AppError("bad_request", "state_event must be close or reopen.", { stateEvent: "must be close or reopen" });

    const titles = labelTitlesFromApi(input.labels);
    if (titles) {
      const existing = await listProjectLabels(actor, projectPath);
      const ids: number[] = [];
      for (const title of titles) {
        const found = existing.find((label) => label.title.toLowerCase() === title.toLowerCase());
        ids.push(found ? found.id : (await createLabel(actor, projectPath, { title })).id);
      }
      await setIssueLabels(actor, projectPath, iid, ids);
    }
    if (input.assignee_ids !== undefined) {
      const raw = input.assignee_ids;
      const ids = raw === null || raw === "" ? [] : (Array.isArray(raw) ? raw : String(raw).split(",")).map((id) => String(id).trim()).filter(Boolean);
      notifySoon((await setIssueAssignees(actor, projectPath, iid, ids)).eventIds);
    }
    if (stateEvent) {
      const { outboxIds } = await setIssueState(actor, projectPath, iid, stateEvent);
      deliverSoon(outboxIds);
    }
    return loadIssue(actor, projectPath, iid);
  },
  { write: true },
);
