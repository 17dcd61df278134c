// The signed-in user's To-Do list: Pending and Done tabs, each item linked to the issue (at the note), marking
// one or all done, paged with ?page=.
import type { Metadata } from "next";
import Link from "next/link";
import { Badge, ButtonLink, cx, EmptyState, PageHeader, RelativeTime } from "@/app/_components/ui";
import { requireActor } from "@/lib/auth/page-access";
import { listTodos, type TodoView } from "@/lib/data/todos";
import { MarkAllDoneButton, MarkDoneButton } from "./todo-controls";

export const metadata: Metadata = { title: "To-Do list" };

const PER_PAGE = 20;

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** What happened, in words after the author's name. */
function actionText(todo: TodoView): string {
  switch (todo.action) {
    case "assigned":
      return "assigned you";
    case "mentioned":
      return "mentioned you";
    case "directly_addressed":
      return "addressed you";
    case "customer_replied":
      return "customer replied";
    default:
      return todo.action.replace(/_/g, " ");
  }
}

function href(state: string, page = 1) {
  const query = new URLSearchParams();
  if (state === "done") query.set("state", "done");
  if (page > 1) query.set("page", String(page));
  const text = query.toString();
  return `/todos${text ? `?${text}` : ""}`;
}

export default async function TodosPage({ searchParams }: { searchParams: SearchParams }) {
  const query = await searchParams;
  const state = first(query.state) === "done" ? "done" : "pending";
  const actor = await requireActor(href(state));
  const rawPage = Number(first(query.page));
  const page = Number.isInteger(rawPage) && rawPage > 0 ? rawPage : 1;
  const { todos, total } = await listTodos(actor, { state, page, limit: PER_PAGE });
  const totalPages = Math.max(1, Math.ceil(total / PER_PAGE));

  const tabs = [
    { state: "pending", label: "Pending" },
    { state: "done", label: "Done" },
  ];
  return (
    <main className="mx-auto max-w-5xl px-4 py-8">
      <PageHeader
        title="To-Do list"
        description="Issues that need you: you were assigned, @mentioned or addressed, or a customer replied on an issue assigned to you."
        actions={state === "pending" && total > 0 ? <MarkAllDoneButton count={total} /> : undefined}
      />
      <nav aria-label="To-Do state" className="mb-4 flex gap-1 border-b border-slate-200 text-sm">
        {tabs.map((tab) => (
          <Link
            key={tab.state}
            href={href(tab.state)}
            aria-current={tab.state === state ? "page" : undefined}
            className={cx(
              "-mb-px border-b-2 px-3 py-2 font-medium",
              tab.state === state ? "border-indigo-600 text-slate-900" : "border-transparent text-slate-500 hover:text-slate-800",
            )}
          >
            {tab.label}
            {tab.state === state && <span className="ml-1.5 text-xs text-slate-500">{total}</span>}
          </Link>
        ))}
      </nav>
      {todos.length === 0 ? (
        page > 1 ? (
          <EmptyState title="Nothing on this page" action={<ButtonLink href={href(state)} variant="secondary">Back to the first page</ButtonLink>} />
        ) : state === "pending" ? (
          <EmptyState title="Nothing to do">
            To-Dos appear here when someone assigns an issue to you, @mentions you or addresses you in a comment, or a customer replies on an issue
            assigned to you. Commenting on or closing the issue marks them done.
          </EmptyState>
        ) : (
          <EmptyState title="No done To-Dos">To-Dos you mark as done, or that were done by commenting on or closing their issue, are listed here.</EmptyState>
        )
      ) : (
        <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
          {todos.map((todo) => {
            const reference = `${todo.project.fullPath}#${todo.issue.iid}`;
            const link = `/${todo.project.fullPath}/issues/${todo.issue.iid}${todo.noteId ? `#note_${todo.noteId}` : ""}`;
            const who = todo.action === "customer_replied" ? "" : (todo.author?.name ?? todo.author?.username ?? "Someone");
            const titleId = `todo-${todo.id}-title`;
            return (
              <li key={todo.id} className="flex flex-wrap items-start gap-3 px-4 py-3 text-sm">
                <div className="min-w-0 flex-1">
                  <p id={titleId} className="text-slate-700">
                    {who ? (
                      <>
                        <span className="font-medium text-slate-900">{who}</span> {actionText(todo)}
                      </>
                    ) : (
                      <span className="font-medium text-slate-900">A {actionText(todo)}</span>
                    )}{" "}
                    on{" "}
                    <Link href={link} className="font-medium text-indigo-700 hover:underline">
                      {reference} {todo.issue.title}
                    </Link>
                    {todo.issue.state === "CLOSED" && (
                      <span className="ml-2">
                        <Badge tone="violet">closed</Badge>
                      </span>
                    )}
                  </p>
                  {todo.body && todo.body !== todo.issue.title && <p className="mt-1 line-clamp-2 text-slate-600">{todo.body}</p>}
                  <p className="mt-1 text-xs text-slate-500">
                    <RelativeTime date={todo.createdAt} />
                  </p>
                </div>
                {todo.state === "pending" && <MarkDoneButton id={todo.id} describedBy={titleId} />}
              </li>
            );
          })}
        </ul>
      )}
      {totalPages > 1 && (
        <nav aria-label="Pages" className="mt-4 flex items-center justify-between text-sm">
          {page > 1 ? (
            <Link href={href(state, page - 1)} className="text-indigo-700 hover:underline">
              ← Newer
            </Link>
          ) : (
            <span />
          )}
          <span className="text-slate-500">
            Page {page} of {totalPages}
          </span>
          {page < totalPages ? (
            <Link href={href(state, page + 1)} className="text-indigo-700 hover:underline">
              Older →
            </Link>
          ) : (
            <span />
          )}
        </nav>
      )}
    </main>
  );
}
