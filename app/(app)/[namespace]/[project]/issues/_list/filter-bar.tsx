"use client";
// Filters of an issue list. Every change navigates to the list's URL for it (router.push), so the browser's
// back/forward buttons and shared links give the same list; text fields apply on Enter.
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { cx, inputClass } from "@/app/_components/ui";
import {
  hasIssueListFilters,
  issueListHref,
  ISSUE_LIST_SORTS,
  NO_ASSIGNEE,
  type IssueListQuery,
  type IssueListSort,
} from "@/lib/schemas";
import { LabelChip } from "@/app/_components/label-chip";

const SORT_LABELS: Record<IssueListSort, string> = {
  created_desc: "Created date, newest first",
  created_asc: "Created date, oldest first",
  updated_desc: "Last activity, newest first",
  updated_asc: "Last activity, oldest first",
};

const selectClass = cx(inputClass, "w-auto py-1.5 pr-8");

export interface FilterBarProps {
  basePath: string;
  query: IssueListQuery;
  labels: { title: string; color: string; description: string }[];
  assignees: { username: string; name: string | null }[];
  /** The customer-address filter (Reporter and up). */
  showAuthor: boolean;
  showAwaiting: boolean;
  /** The "Service Desk only" switch (the Issues page; the tracker is Service Desk only anyway). */
  showServiceDesk: boolean;
}

export function IssueFilterBar({ basePath, query, labels, assignees, showAuthor, showAwaiting, showServiceDesk }: FilterBarProps) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  // The page gives this component a new key for every URL, so these start from the URL each time.
  const [search, setSearch] = useState(query.search ?? "");
  const [author, setAuthor] = useState(query.author ?? "");
  const go = (changes: Partial<IssueListQuery>) => startTransition(() => router.push(issueListHref(basePath, query, changes)));

  const labelColor = (title: string) => labels.find((l) => l.title.toLowerCase() === title.toLowerCase())?.color ?? "#64748b";
  const unselected = labels.filter((l) => !query.labels.some((t) => t.toLowerCase() === l.title.toLowerCase()));
  const knownAssignee = !query.assignee || query.assignee === NO_ASSIGNEE || assignees.some((a) => a.username === query.assignee);
  const filtered = hasIssueListFilters(query);

  return (
    <form
      role="search"
      aria-label="Filter issues"
      aria-busy={pending || undefined}
      className="mb-4 space-y-3 rounded-lg border border-slate-200 bg-white p-3 shadow-sm"
      onSubmit={(event) => {
        event.preventDefault();
        go({ search: search.trim() || undefined, author: author.trim() || undefined });
      }}
    >
      <div className="flex flex-wrap gap-2">
        <input
          type="search"
          name="search"
          aria-label="Search"
          placeholder="Search titles and descriptions, or #123"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          maxLength={255}
          className={cx(inputClass, "min-w-56 flex-1")}
        />
        {showAuthor && (
          <input
            type="email"
            name="author"
            aria-label="Customer email"
            placeholder="customer@example.com"
            value={author}
            onChange={(e) => setAuthor(e.target.value)}
            maxLength={320}
            className={cx(inputClass, "w-64")}
          />
        )}
        <button
          type="submit"
          className="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
        >
          Search
        </button>
      </div>

      <div className="flex flex-wrap items-center gap-2 text-sm">
        <select
          aria-label="Add a label filter"
          value=""
          disabled={unselected.length === 0}
          onChange={(e) => e.target.value && go({ labels: [...query.labels, e.target.value] })}
          className={selectClass}
        >
          <option value="">{labels.length === 0 ? "No labels yet" : unselected.length === 0 ? "All labels chosen" : "Label…"}</option>
          {unselected.map((l) => (
            <option key={l.title} value={l.title}>
              {l.title}
            </option>
          ))}
        </select>

        <select
          aria-label="Assignee"
          value={query.assignee ?? ""}
          onChange={(e) => go({ assignee: e.target.value || undefined })}
          className={selectClass}
        >
          <option value="">Any assignee</option>
          <option value={NO_ASSIGNEE}>No assignee</option>
          {!knownAssignee && <option value={query.assignee}>{query.assignee}</option>}
          {assignees.map((a) => (
            <option key={a.username} value={a.username}>
              {a.name ? `${a.name} (@${a.username})` : `@${a.username}`}
            </option>
          ))}
        </select>

        <select
          aria-label="Sort by"
          value={query.sort}
          onChange={(e) => go({ sort: e.target.value as IssueListSort })}
          className={selectClass}
        >
          {ISSUE_LIST_SORTS.map((sort) => (
            <option key={sort} value={sort}>
              {SORT_LABELS[sort]}
            </option>
          ))}
        </select>

        {showAwaiting && (
          <label className="inline-flex items-center gap-2 text-slate-700">
            <input
              type="checkbox"
              checked={query.awaiting === true}
              onChange={(e) => go({ awaiting: e.target.checked ? true : undefined })}
              className="size-4 rounded border-slate-300 text-indigo-600"
            />
            Awaiting team reply
          </label>
        )}
        {showServiceDesk && (
          <label className="inline-flex items-center gap-2 text-slate-700">
            <input
              type="checkbox"
              checked={query.serviceDesk}
              onChange={(e) => go({ serviceDesk: e.target.checked })}
              className="size-4 rounded border-slate-300 text-indigo-600"
            />
            Service Desk only
          </label>
        )}

        {pending && (
          <span className="text-xs text-slate-500" role="status">
            Loading…
          </span>
        )}
        {filtered && (
          <Link
            href={issueListHref(basePath, { state: query.state, sort: query.sort })}
            className="ml-auto text-sm font-medium text-indigo-700 hover:underline"
          >
            Clear filters
          </Link>
        )}
      </div>

      {(query.labels.length > 0 || query.awaiting === false) && (
        <ul className="flex flex-wrap items-center gap-2" aria-label="Active filters">
          {query.labels.map((title) => (
            <li key={title} className="inline-flex items-center gap-1">
              <LabelChip title={title} color={labelColor(title)} />
              <button
                type="button"
                onClick={() => go({ labels: query.labels.filter((t) => t !== title) })}
                aria-label={`Remove label filter ${title}`}
                className="rounded px-1 text-slate-500 hover:bg-slate-100 hover:text-slate-900"
              >
                ×
              </button>
            </li>
          ))}
          {query.awaiting === false && (
            <li className="inline-flex items-center gap-1 text-xs text-slate-700">
              Team replied last
              <button
                type="button"
                onClick={() => go({ awaiting: undefined })}
                aria-label="Remove filter team replied last"
                className="rounded px-1 text-slate-500 hover:bg-slate-100 hover:text-slate-900"
              >
                ×
              </button>
            </li>
          )}
        </ul>
      )}
    </form>
  );
}
