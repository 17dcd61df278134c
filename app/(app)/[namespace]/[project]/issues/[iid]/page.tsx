// One issue: description, the thread of notes, a comment box and close/reopen.
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Badge, cx, RelativeTime } from "@/app/_components/ui";
import { orNotFound } from "@/lib/auth/page-access";
import { listAttachments } from "@/lib/data/attachments";
import { getIssue } from "@/lib/data/issues";
import { projectFromParams, type ProjectParams } from "../../project-context";
import { CommentForm } from "./comment-form";
import { NoteBody } from "./note-body";
import { StateButton } from "./state-button";

type Params = Promise<ProjectParams & { iid: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  return { title: `Issue #${(await params).iid}` };
}

function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1048576) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1048576).toFixed(1)} MB`;
}

function who(user: { name: string | null; username: string } | null, external: string | null) {
  return external ?? user?.name ?? user?.username ?? "someone";
}

export default async function IssuePage({ params }: { params: Params }) {
  const { iid: rawIid } = await params;
  const iid = Number(rawIid);
  if (!/^\d+$/.test(rawIid)) notFound();
  const { actor, project } = await projectFromParams(params);
  const issue = await orNotFound(getIssue(actor, project.fullPath, iid));
  const visibleNotes = new Set(issue.notes.map((n) => n.id));
  const attachments = (await listAttachments(issue.id)).filter((a) => !a.noteId || visibleNotes.has(a.noteId));
  const canUpdate = project.permissions["issue:update_state"];

  return (
    <article>
      <header className="mb-6 border-b border-slate-200 pb-4">
        <div className="mb-2 flex flex-wrap items-center gap-2">
          <Badge tone={issue.state === "OPENED" ? "green" : "violet"}>{issue.state === "OPENED" ? "Open" : "Closed"}</Badge>
          {issue.confidential && <Badge tone="amber">Confidential</Badge>}
          <span className="text-sm text-slate-500">
            #{issue.iid} · opened <RelativeTime date={issue.createdAt} /> by {who(issue.author, issue.externalAuthor)}
            {issue.externalAuthor && ` via ${issue.author.name ?? issue.author.username}`}
            {issue.closedAt && (
              <>
                {" "}
                · closed <RelativeTime date={issue.closedAt} />
                {issue.closedBy && ` by ${who(issue.closedBy, null)}`}
              </>
            )}
          </span>
          {canUpdate && (
            <div className="ml-auto">
              <StateButton projectPath={project.fullPath} iid={issue.iid} state={issue.state} />
            </div>
          )}
        </div>
        <h1 className="text-2xl font-semibold text-slate-900">{issue.title}</h1>
      </header>

      <div className="prose max-w-none text-sm whitespace-pre-wrap text-slate-800">
        {issue.description || <span className="text-slate-400 italic">No description.</span>}
      </div>

      {attachments.length > 0 && (
        <section className="mt-6" aria-label="Attachments">
          <h2 className="mb-2 text-sm font-semibold text-slate-900">Attachments</h2>
          <ul className="space-y-1 text-sm">
            {attachments.map((file) => (
              <li key={file.id}>
                <a href={`/api/attachments/${file.id}`} className="text-indigo-700 hover:underline">
                  📎 {file.filename}
                </a>{" "}
                <span className="text-slate-500">({formatBytes(file.size)})</span>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section className="mt-8" aria-label="Activity">
        <h2 className="mb-3 text-sm font-semibold text-slate-900">Activity</h2>
        <ol className="space-y-3">
          {issue.notes.map((note) =>
            note.system ? (
              <li key={note.id} className="flex items-center gap-2 pl-3 text-sm text-slate-500">
                <span className="size-1.5 rounded-full bg-slate-400" aria-hidden />
                <span>
                  <strong className="font-medium text-slate-700">{who(note.author, note.externalAuthor)}</strong> {note.body}{" "}
                  <RelativeTime date={note.createdAt} />
                </span>
              </li>
            ) : (
              <li
                key={note.id}
                id={`note_${note.id}`}
                className={cx("rounded-lg border bg-white", note.internal ? "border-amber-300 bg-amber-50" : "border-slate-200")}
              >
                <div className="flex items-center gap-2 border-b border-inherit px-4 py-2 text-sm">
                  <strong className="font-medium text-slate-900">{who(note.author, note.externalAuthor)}</strong>
                  <span className="text-slate-500">
                    <RelativeTime date={note.createdAt} />
                  </span>
                  {note.externalAuthor && <Badge tone="blue">by email</Badge>}
                  {note.internal && <Badge tone="amber">Internal note</Badge>}
                </div>
                <div className="px-4 py-3">
                  <NoteBody body={note.body} />
                </div>
              </li>
            ),
          )}
        </ol>
        {issue.notes.length === 0 && <p className="text-sm text-slate-500">No comments yet.</p>}
      </section>

      {project.permissions["issue:comment"] ? (
        <section className="mt-6">
          <CommentForm
            projectPath={project.fullPath}
            iid={issue.iid}
            canInternal={project.permissions["issue:internal_note"]}
            customer={issue.externalAuthor}
          />
        </section>
      ) : (
        <p className="mt-6 text-sm text-slate-500">Reporters and up can comment on issues.</p>
      )}
    </article>
  );
}
