// The one rendering of a Service Desk mail body: which template text a project uses, the placeholder values an
// issue gives, and the render itself. Shared by the outgoing path and the settings preview, so a preview is
// exactly the mail that will be sent.
import type { Db } from "@/lib/db/client";
import { env } from "@/lib/env";
import { defaultTemplate, renderTemplate, type PlaceholderValues, type RenderedEmail, type TemplateName } from "./templates";

/** The project's own wording when a maintainer saved one, else emails/<name>.md. */
export async function serviceDeskTemplateSource(
  tx: Pick<Db, "serviceDeskEmailTemplate">,
  projectId: number,
  name: TemplateName,
): Promise<{ content: string; isCustom: boolean }> {
  const custom = await tx.serviceDeskEmailTemplate.findUnique({
    where: { projectId_name: { projectId, name } },
    select: { content: true },
  });
  return custom ? { content: custom.content, isCustom: true } : { content: defaultTemplate(name), isCustom: false };
}

export interface MailValuesInput {
  project: { fullPath: string };
  issue: { iid: number; description: string };
  /** The recipient's reply key: it is also their unsubscribe token. */
  replyKey: string;
  /** The comment being mailed (new_note). */
  noteText?: string;
  /** What closed the issue (issue_closed, when a linked change did). */
  closedBy?: { url: string; title: string };
}

export function issueWebUrl(project: { fullPath: string }, iid: number): string {
  return `${env().APP_URL}/${project.fullPath}/issues/${iid}`;
}

export function unsubscribeUrl(replyKey: string): string {
  return `${env().APP_URL}/unsubscribe/${replyKey}`;
}

/** Every placeholder's value for one mail about `issue`. The instance-wide texts are not configurable yet. */
export function serviceDeskMailValues({ project, issue, replyKey, noteText, closedBy }: MailValuesInput): PlaceholderValues {
  return {
    ISSUE_ID: `#${issue.iid}`,
    ISSUE_PATH: `${project.fullPath}#${issue.iid}`,
    ISSUE_URL: issueWebUrl(project, issue.iid),
    ISSUE_DESCRIPTION: issue.description,
    UNSUBSCRIBE_URL: unsubscribeUrl(replyKey),
    SYSTEM_HEADER: "",
    SYSTEM_FOOTER: "",
    ADDITIONAL_TEXT: "",
    ...(noteText !== undefined ? { NOTE_TEXT: noteText } : {}),
    CLOSED_BY_URL: closedBy?.url ?? "",
    CLOSED_BY_TITLE: closedBy?.title ?? "",
  };
}

/** Renders template `name` (its text is `content`) into the mail's HTML document and plain-text part. */
export function renderServiceDeskTemplate(name: TemplateName, content: string, values: PlaceholderValues): Promise<RenderedEmail> {
  return renderTemplate(content, values, { template: name });
}
