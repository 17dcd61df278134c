// An issue list page body: state tabs with counts, the filter bar, the rows and Previous/Next links. Shared by
// the Issues page and the Service Desk tracker; every tab, filter and page is a plain link to its own URL.
import Link from "next/link";
import type { ReactNode } from "react";
import { Badge, cx, EmptyState, RelativeTime } from "@/app/_components/ui";
import type { IssueListFilterOptions, IssueListPage, IssueListRow } from "@/lib/data/issue-list";
import { hasIssueListFilters, ISSUE_LIST_PAGE_SIZE, issueListHref, issueListSearch, type IssueListQuery, type IssueListState } from "@/lib/schemas";
import { LabelChip } from "@/app/_components/label-chip";
import { IssueFilterBar } from "./filter-bar";

const TABS: { key: IssueListState; label: string }[] = [
  { key: "opened", label: "Open" },
  { key: "closed", label: "Closed" },
  { key: "all", label: "All" },
];

export interface IssueListViewProps {
  /** The list's path, e.g. `/group/project/issues`. */
  basePath: string;
  /** Where an issue's page is: `${issuesPath}/${iid}`. */
  issuesPath: string;
  /** The query as it goes into links (the tracker leaves out its implied Service Desk filter). */
  query: IssueListQuery;
  page: IssueListPage;
  options: IssueListFilterOptions;
  variant: "issues" | "tracker";
  showAuthorFilter: boolean;
  /** What to show when the project has nothing to list at all (no filter, every tab empty). */
  emptyState: ReactNode;
  /** Words for the things listed: "issues" or "requests". */
  noun: string;
}

export function IssueListView({ basePath, issuesPath, query, page, options, variant, showAuthorFilter, emptyState, noun }: IssueListViewProps) {
  const filtered = hasIssueListFilters(query);
  const nothingAtAll = !filtered && page.counts.all === 0;
  const clearHref = issueListHref(basePath, { state: query.state, sort: query.sort });

  return (
    <>
      {/* Tabs that are links: each state is its own URL (kept as role=tab for the existing E2E specs). */}
      <div role="tablist" aria-label={`${capitalize(noun)} by state`} className="mb-4 flex gap-1 border-b border-slate-200">
        {TABS.map((tab) => (
          <Link
            key={tab.key}
            href={issueListHref(basePath, query, { state: tab.key })}
            role="tab"
            aria-selected={tab.key === query.state}
            className={cx(
              "-mb-px border-b-2 px-3 py-2 text-sm",
              tab.key === query.state ? "border-indigo-600 font-medium text-slate-900" : "border-transparent text-slate-600 hover:text-slate-900",
            )}
          >
            {tab.label} <span className="ml-1 rounded-full bg-slate-100 px-1.5 text-xs text-slate-600">{page.counts[tab.key].toLocaleString("en")}</span>
          </Link>
        ))}
      </div>

      {nothingAtAll ? (
        emptyState
      ) : (
        <>
          <IssueFilterBar
            key={issueListSearch(query)}
            basePath={basePath}
            query={query}
            labels={options.labels}
            assignees={options.assignees}
            showAuthor={showAuthorFilter}
            showAwaiting={variant === "tracker" || query.serviceDesk}
            showServiceDesk={variant === "issues"}
          />
          {page.issues.length === 0 ? (
            filtered ? (
              <EmptyState
                title={`No ${noun} match these filters`}
                action={
                  <Link href={clearHref} className="text-sm font-medium text-indigo-700 hover:underline">
                    Clear filters
                  </Link>
                }
              >
                Try fewer filters, another tab, or a different search.
              </EmptyState>
            ) : query.cursor ? (
              <EmptyState
                title="Nothing more here"
                action={
                  <Link href={issueListHref(basePath, query, { cursor: undefined, direction: undefined })} className="text-sm font-medium text-indigo-700 hover:underline">
                    Back to the first page
                  </Link>
                }
              >
                The {noun} of this page have moved or closed since the link was made.
              </EmptyState>
            ) : (
              <EmptyState title={query.state === "closed" ? `No closed ${noun}` : query.state === "opened" ? `No open ${noun}` : `No ${noun}`}>
                {query.state === "closed" ? `${capitalize(noun)} you close show up here.` : `See the other tabs for the rest.`}
              </EmptyState>
            )
          ) : (
            <>
              <ul className="divide-y divide-slate-200 overflow-hidden rounded-lg border border-slate-200 bg-white" aria-label={capitalize(noun)}>
                {page.issues.map((issue) => (
                  <IssueRow key={issue.iid} issue={issue} href={`${issuesPath}/${issue.iid}`} variant={variant} />
                ))}
              </ul>
              <Pagination basePath={basePath} query={query} page={page} noun={noun} />
            </>
          )}
        </>
      )}
    </>
  );
}

function capitalize(word: string) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function IssueRow({ issue, href, variant }: { issue: IssueListRow; href: string; variant: "issues" | "tracker" }) {
  const openedBy = issue.externalAuthor ?? issue.author.name ?? issue.author.username;
  return (
    <li className="flex items-start gap-3 px-4 py-3 hover:bg-slate-50">
      <span
        className={cx("mt-1.5 size-2 shrink-0 rounded-full", issue.state === "OPENED" ? "bg-green-500" : "bg-slate-400")}
        title={issue.state === "OPENED" ? "Open" : "Closed"}
        aria-hidden
      />
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
          <Link href={href} className="font-medium text-slate-900 hover:text-indigo-700">
            {issue.title}
          </Link>
          {issue.state === "CLOSED" && <Badge>Closed</Badge>}
          {issue.confidential && <Badge tone="amber">Confidential</Badge>}
          {variant === "issues" && issue.serviceDesk && (
            <Badge tone="violet">
              Service Desk{issue.externalAuthor && <span className="ml-1 font-normal">· {issue.externalAuthor}</span>}
            </Badge>
          )}
          {issue.awaitingReply && <Badge tone="blue">Awaiting reply</Badge>}
          {issue.labels.map((label) => (
            <LabelChip key={label.title} title={label.title} color={label.color} />
          ))}
        </div>
        <div className="mt-0.5 text-xs text-slate-500">
          #{issue.iid} · opened <RelativeTime date={issue.createdAt} />{" "}
          {variant === "tracker" ? (
            <>
              by <span className="font-medium text-slate-700">{issue.externalAuthor ?? "unknown sender"}</span>
            </>
          ) : (
            <>by {openedBy}</>
          )}
        </div>
      </div>
      <div className="shrink-0 space-y-0.5 text-right text-xs text-slate-500">
        <div>
          {issue.assignees.length ? (
            <span title="Assignees">{issue.assignees.map((a) => a.name ?? a.username).join(", ")}</span>
          ) : (
            <span className="text-slate-400">Unassigned</span>
          )}
        </div>
        <div>
          <span aria-label={`${issue.commentCount} ${issue.commentCount === 1 ? "comment" : "comments"}`} title="Comments">
            💬 {issue.commentCount}
          </span>
          {" · "}
          updated <RelativeTime date={issue.updatedAt} />
        </div>
      </div>
    </li>
  );
}

function Pagination({ basePath, query, page, noun }: { basePath: string; query: IssueListQuery; page: IssueListPage; noun: string }) {
  if (!page.prevCursor && !page.nextCursor && !query.cursor) return null;
  const link = "rounded-md px-3 py-1.5 font-medium text-indigo-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-50";
  const off = "rounded-md px-3 py-1.5 text-slate-400 ring-1 ring-inset ring-slate-200";
  return (
    <nav aria-label="Pagination" className="mt-4 flex flex-wrap items-center gap-2 text-sm">
      {query.cursor && (
        <Link href={issueListHref(basePath, query, { cursor: undefined, direction: undefined })} className={link}>
          First page
        </Link>
      )}
      {page.prevCursor ? (
        <Link href={issueListHref(basePath, query, { cursor: page.prevCursor, direction: "prev" })} className={link} rel="prev">
          Previous
        </Link>
      ) : (
        <span className={off} aria-disabled="true">
          Previous
        </span>
      )}
      {page.nextCursor ? (
        <Link href={issueListHref(basePath, query, { cursor: page.nextCursor, direction: "next" })} className={link} rel="next">
          Next
        </Link>
      ) : (
        <span className={off} aria-disabled="true">
          Next
        </span>
      )}
      <span className="ml-auto text-xs text-slate-500">
        {page.counts[query.state].toLocaleString("en")} {noun} · {ISSUE_LIST_PAGE_SIZE} a page
      </span>
    </nav>
  );
}

/** What to say when a list link could not be read (a hand-edited or outdated URL). */
export function InvalidListLink({ basePath, message }: { basePath: string; message: string }) {
  return (
    <EmptyState
      title="This list link is not valid"
      action={
        <Link href={basePath} className="text-sm font-medium text-indigo-700 hover:underline">
          Go to the first page
        </Link>
      }
    >
      <span role="alert">{message}</span>
    </EmptyState>
  );
}
