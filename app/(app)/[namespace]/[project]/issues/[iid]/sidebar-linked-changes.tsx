// The sidebar's linked changes: commits and pull/merge requests of linked repositories that named this issue
// (state and link), and for team members a field to link one by hand.
import { Badge } from "@/app/_components/ui";
import type { LinkedChangeView } from "@/lib/data/linked-changes";
import { LinkChangeForm, UnlinkChangeButton } from "./linked-change-controls";

const STATE_TONES: Record<string, "green" | "violet" | "slate" | "blue"> = { merged: "violet", pushed: "green", opened: "blue", closed: "slate", linked: "slate" };
const KIND_LABELS: Record<string, string> = { merge_request: "Merge request", commit: "Commit", issue: "Issue" };

export type LinkedChangeItem = Pick<LinkedChangeView, "id" | "provider" | "repositoryPath" | "kind" | "reference" | "title" | "url" | "state" | "closedIssue" | "source">;

export function SidebarLinkedChanges({ projectPath, iid, changes, canLink, hasRepositories }: { projectPath: string; iid: number; changes: LinkedChangeItem[]; canLink: boolean; hasRepositories: boolean }) {
  if (changes.length === 0 && !(canLink && hasRepositories)) return null;
  return (
    <section className="py-4" aria-labelledby="linked-changes-heading">
      <h2 id="linked-changes-heading" className="mb-2 font-semibold text-slate-900">
        Linked changes
      </h2>
      {changes.length === 0 ? (
        <p className="text-slate-500">None yet. A commit or merge request saying &ldquo;Fixes&rdquo; with this issue&apos;s reference closes it when merged.</p>
      ) : (
        <ul className="space-y-2" aria-label="Linked changes">
          {changes.map((change) => (
            <li key={change.id} className="min-w-0" data-testid="linked-change">
              <div className="flex items-center gap-1.5">
                <a href={change.url} target="_blank" rel="noreferrer noopener" className="font-medium text-indigo-700 hover:underline">
                  {change.kind === "merge_request" && change.provider === "github" ? "PR" : KIND_LABELS[change.kind] ?? change.kind} {change.reference}
                </a>
                <Badge tone={STATE_TONES[change.state] ?? "slate"}>{change.state}</Badge>
                {change.closedIssue && <Badge tone="violet">closed this</Badge>}
                {change.source === "manual" && canLink && <UnlinkChangeButton projectPath={projectPath} iid={iid} changeId={change.id} label={`${change.repositoryPath} ${change.reference}`} />}
              </div>
              <div className="truncate text-xs text-slate-500" title={change.title}>
                {change.repositoryPath} · {change.title}
              </div>
            </li>
          ))}
        </ul>
      )}
      {canLink && hasRepositories && <LinkChangeForm projectPath={projectPath} iid={iid} />}
    </section>
  );
}
