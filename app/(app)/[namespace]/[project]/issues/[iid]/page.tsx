// One issue: the thread (description, notes, system notes, the mail each came in with) on the left, the
// sidebar (labels, assignees, participants) on the right, the composer and close/reopen. A long thread shows
// its latest notes and a link to the whole of it (?notes=all). Live (issue-live.tsx): new notes and who else is
// on the issue appear without a reload.
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { LiveBadge } from "@/app/_components/live/live-refresh";
import { Badge, cx, RelativeTime } from "@/app/_components/ui";
import { orNotFound } from "@/lib/auth/page-access";
import { getIssue } from "@/lib/data/issues";
import { issuePresence } from "@/lib/data/presence";
import { SUPPORT_BOT_ID } from "@/lib/service-desk/address";
import { renderUserMarkdownMany } from "@/lib/service-desk/thread-html";
import { projectFromParams, type ProjectParams } from "../../project-context";
import { CommentForm } from "./comment-form";
import { NoteBody } from "./note-body";
import { NoteAnchor } from "./note-anchor";
import { IssueLive, PresenceNotice } from "./issue-live";
import { IssueSidebar } from "./sidebar";
import { StateButton } from "./state-button";
import { SystemNoteText } from "./system-note-text";
import { ThreadAttachments, type ThreadAttachment } from "./thread-attachments";
import { ThreadEmailDetail, type ThreadEmail } from "./thread-email";

type Params = Promise<ProjectParams & { iid: string }>;
type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/**
 * Notes (system notes included) a thread shows until the reader asks for all of them. The page's time grows
 * with every note it renders (~2.3 KB of HTML and RSC each); at 50 a 1,000-note thread answers about as fast
 * as a 10-note one (bench: 1.0–1.2×, was 4.9×), most threads are shorter and show whole, and 50 is still
 * several screens of recent context to answer from. Older notes are one plain link away.
 */
const LATEST_NOTES = 50;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  return { title: `Issue #${(await params).iid}` };
}

type Person = { name: string | null; username: string } | null;

function who(user: Person, external: string | null) {
  return external ?? user?.name ?? user?.username ?? "someone";
}

function groupBy<T, K>(items: T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export default async function IssuePage({ params, searchParams }: { params: Params; searchParams: SearchParams }) {
  const { iid: rawIid } = await params;
  if (!/^\d+$/.test(rawIid)) notFound();
  const iid = Number(rawIid);
  const showAll = (await searchParams).notes === "all";
  const { actor, project } = await projectFromParams(params);
  const [issue, presence] = await Promise.all([
    orNotFound(getIssue(actor, project.fullPath, iid, showAll ? {} : { latestNotes: LATEST_NOTES })),
    issuePresence(actor, project.fullPath, iid).catch(() => []),
  ]);
  const serviceDesk = issue.author.id === SUPPORT_BOT_ID;

  // Every text is rendered once (and cached across requests), all together: no per-note work below.
  const userNotes = issue.notes.filter((note) => !note.system);
  const [descriptionHtml, ...noteHtml] = await renderUserMarkdownMany([issue.description, ...userNotes.map((note) => note.body)]);
  const htmlByNote = new Map(userNotes.map((note, i) => [note.id, noteHtml[i]]));
  const earlierComments = issue.commentCount - userNotes.length;
  const issuePath = `/${project.fullPath}/issues/${issue.iid}`;
  const allNotesHref = `${issuePath}?notes=all`;
  const filesByNote = groupBy<ThreadAttachment & { noteId: number | null }, number | null>(issue.attachments, (file) => file.noteId);
  const emailByNote = new Map<number, ThreadEmail>();
  let createdFrom: ThreadEmail | undefined;
  for (const email of issue.emails) {
    if (email.status === "created_issue") createdFrom ??= email;
    else if (email.noteId !== null) emailByNote.set(email.noteId, email);
  }

  return (
    <div className="grid gap-8 xl:grid-cols-[minmax(0,1fr)_17rem]">
      <IssueLive projectId={project.id} projectPath={project.fullPath} iid={issue.iid} userId={actor!.id} initialPresence={presence}>
      <article className="min-w-0">
        <header className="mb-6 border-b border-slate-200 pb-4">
          <div className="mb-2 flex flex-wrap items-center gap-2">
            <Badge tone={issue.state === "OPENED" ? "green" : "violet"}>{issue.state === "OPENED" ? "Open" : "Closed"}</Badge>
            {issue.confidential && <Badge tone="amber">Confidential</Badge>}
            {serviceDesk && issue.awaitingReply && issue.state === "OPENED" && <Badge tone="blue">Awaiting reply</Badge>}
            <span className="text-sm text-slate-500">
              #{issue.iid} · Opened by{" "}
              <span className="font-medium text-slate-700">{who(issue.author, issue.externalAuthor)}</span>
              {issue.externalAuthor && ` via ${issue.author.name ?? issue.author.username}`} <RelativeTime date={issue.createdAt} />
              {issue.closedAt && (
                <>
                  {" "}
                  · closed <RelativeTime date={issue.closedAt} />
                  {issue.closedBy && ` by ${who(issue.closedBy, null)}`}
                </>
              )}
            </span>
          </div>
          <div className="flex items-start justify-between gap-4">
            <h1 className="min-w-0 text-2xl font-semibold break-words text-slate-900">{issue.title}</h1>
            {project.permissions["issue:update_state"] && (
              <div className="shrink-0">
                <StateButton projectPath={project.fullPath} iid={issue.iid} state={issue.state} />
              </div>
            )}
          </div>
        </header>

        <section aria-label="Description" className="rounded-lg border border-slate-200 bg-white">
          <div className="flex items-center gap-2 border-b border-slate-100 px-4 py-2 text-sm">
            <strong className="font-medium text-slate-900">{who(issue.author, issue.externalAuthor)}</strong>
            <span className="text-slate-500">
              <RelativeTime date={issue.createdAt} />
            </span>
            {issue.externalAuthor && <Badge tone="blue">by email</Badge>}
          </div>
          <div className="px-4 py-3">
            {descriptionHtml ? (
              <NoteBody html={descriptionHtml} testId="issue-description" />
            ) : (
              <p className="text-sm text-slate-400 italic">No description.</p>
            )}
            <ThreadAttachments files={filesByNote.get(null) ?? []} />
            {createdFrom && <ThreadEmailDetail email={createdFrom} />}
          </div>
        </section>

        <section className="mt-8" aria-labelledby="activity-heading">
          <div className="mb-3 flex items-center justify-between gap-2">
            <h2 id="activity-heading" className="text-sm font-semibold text-slate-900">
              Activity
            </h2>
            <LiveBadge label="New replies appear live" />
          </div>
          {issue.commentCount === 0 && (
            <p className="mb-3 text-sm text-slate-500">
              No comments yet.{serviceDesk && project.permissions["issue:comment"] ? " Your public reply is emailed to the customer." : ""}
            </p>
          )}
          {issue.earlierNotes && (
            <div className="mb-3 flex items-center gap-3 text-sm" data-testid="earlier-notes">
              <span className="h-px flex-1 bg-slate-200" aria-hidden />
              {/* A plain link: works without JavaScript, lands on the start of the now complete thread. */}
              <a href={`${allNotesHref}#activity-heading`} className="font-medium text-indigo-700 hover:underline">
                {earlierComments > 0
                  ? `Show ${earlierComments.toLocaleString("en")} earlier ${earlierComments === 1 ? "comment" : "comments"}`
                  : "Show earlier activity"}
              </a>
              <span className="h-px flex-1 bg-slate-200" aria-hidden />
              <NoteAnchor allNotesHref={allNotesHref} />
            </div>
          )}
          {showAll && issue.notes.length > LATEST_NOTES && (
            <p className="mb-3 text-right text-sm">
              <a href={`${issuePath}#activity-heading`} className="text-slate-500 hover:text-indigo-700 hover:underline">
                Show only the latest {LATEST_NOTES}
              </a>
            </p>
          )}
          <ol className="space-y-3" data-thread>
            {issue.notes.map((note) =>
              note.system ? (
                <li key={note.id} id={`note_${note.id}`} className="flex items-center gap-2 pl-3 text-sm text-slate-500">
                  <span className="size-1.5 shrink-0 rounded-full bg-slate-400" aria-hidden />
                  <span>
                    <strong className="font-medium text-slate-700">{who(note.author, note.externalAuthor)}</strong> <SystemNoteText body={note.body} />{" "}
                    <RelativeTime date={note.createdAt} />
                    {note.internal && <span className="ml-1 text-xs text-amber-700">(internal)</span>}
                  </span>
                </li>
              ) : (
                <li
                  key={note.id}
                  id={`note_${note.id}`}
                  data-mine={note.author?.id === actor!.id || undefined}
                  className={cx("rounded-lg border", note.internal ? "border-amber-300 bg-amber-50" : "border-slate-200 bg-white")}
                >
                  <div
                    className={cx(
                      "flex flex-wrap items-center gap-2 border-b px-4 py-2 text-sm",
                      note.internal ? "border-amber-200" : "border-slate-100",
                    )}
                  >
                    <strong className="font-medium text-slate-900">{who(note.author, note.externalAuthor)}</strong>
                    <span className="text-slate-500">
                      <RelativeTime date={note.createdAt} />
                    </span>
                    {note.externalAuthor && <Badge tone="blue">by email</Badge>}
                    {note.internal && <Badge tone="amber">Internal note · not emailed</Badge>}
                  </div>
                  <div className="px-4 py-3">
                    <NoteBody html={htmlByNote.get(note.id) ?? ""} />
                    <ThreadAttachments files={filesByNote.get(note.id) ?? []} />
                    {emailByNote.has(note.id) && <ThreadEmailDetail email={emailByNote.get(note.id)!} />}
                  </div>
                </li>
              ),
            )}
          </ol>
        </section>

        {project.permissions["issue:comment"] ? (
          <section className="mt-6 space-y-2" aria-label="Reply">
            <PresenceNotice />
            <CommentForm
              projectPath={project.fullPath}
              iid={issue.iid}
              canInternal={project.permissions["issue:internal_note"]}
              customer={serviceDesk ? issue.externalAuthor : null}
            />
          </section>
        ) : (
          <p className="mt-6 text-sm text-slate-500">Reporters and up can comment on issues.</p>
        )}
      </article>
      </IssueLive>

      <div className="min-w-0">
        <Suspense fallback={<div className="h-40 animate-pulse rounded-lg bg-slate-100" aria-hidden />}>
          <IssueSidebar projectPath={project.fullPath} iid={issue.iid} />
        </Suspense>
      </div>
    </div>
  );
}
