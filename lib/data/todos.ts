// A member's To-Do list (GitLab's shape): listed, counted for the top bar, marked done one by one or all at
// once, and done by itself when the member comments on or closes the issue. Only the owner sees their To-Dos,
// and only those on issues they may still read.
import type { Actor } from "@/lib/auth/actor";
import { db, type Db } from "@/lib/db/client";
import { AppError, notFound } from "@/lib/errors";
import type { IssueWhereInput } from "@/lib/generated/prisma/models";

type Tx = Pick<Db, "todo">;

/** Marks `userId`'s pending To-Dos on an issue done (in the caller's transaction). */
export async function markIssueTodosDone(tx: Tx, issueId: number, userId: string): Promise<number> {
  const { count } = await tx.todo.updateMany({ where: { issueId, userId, state: "pending" }, data: { state: "done" } });
  return count;
}

/**
 * Issues the actor may read, as a Prisma filter: member of the project, and Reporter or up for confidential
 * ones (a To-Do survives a demotion, but must not show what the member may no longer see).
 */
function readable(actor: Actor): IssueWhereInput {
  if (actor.isAdmin) return {};
  return {
    project: { memberships: { some: { userId: actor.id } } },
    OR: [{ confidential: false }, { project: { memberships: { some: { userId: actor.id, role: { in: ["REPORTER", "DEVELOPER", "MAINTAINER", "OWNER"] } } } } }],
  };
}

export interface TodoView {
  id: number;
  action: string;
  state: string;
  body: string;
  createdAt: Date;
  updatedAt: Date;
  author: { id: string; username: string; name: string | null } | null;
  project: { id: number; fullPath: string; name: string };
  issue: { id: number; iid: number; title: string; state: string; confidential: boolean };
  noteId: number | null;
}

const todoSelect = {
  id: true,
  action: true,
  state: true,
  body: true,
  createdAt: true,
  updatedAt: true,
  noteId: true,
  author: { select: { id: true, username: true, name: true } },
  project: { select: { id: true, fullPath: true, name: true } },
  issue: { select: { id: true, iid: true, title: true, state: true, confidential: true } },
} as const;

/**
 * One of the actor's To-Dos; 404 for anyone else's and for one on an issue the actor may no longer read (the
 * list hides those too: a To-Do outlives a demotion but must not show the issue).
 */
export async function getOwnTodo(actor: Actor | null, id: number): Promise<TodoView> {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  const todo = await db().todo.findFirst({ where: { id, userId: actor.id, issue: readable(actor) }, select: todoSelect });
  if (!todo) throw notFound("To-Do");
  return todo;
}

export async function listTodos(actor: Actor | null, options: { state?: "pending" | "done" | "all"; limit?: number; page?: number } = {}): Promise<{ todos: TodoView[]; total: number }> {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  const state = options.state ?? "pending";
  const where = { userId: actor.id, ...(state === "all" ? {} : { state }), issue: readable(actor) };
  const limit = Math.min(Math.max(options.limit ?? 20, 1), 100);
  const page = Math.max(options.page ?? 1, 1);
  const [rows, total] = await Promise.all([
    db().todo.findMany({
      where,
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      skip: (page - 1) * limit,
      take: limit,
      select: todoSelect,
    }),
    db().todo.count({ where }),
  ]);
  return { todos: rows, total };
}

/** The top bar's number: pending To-Dos on issues the actor may read. */
export async function pendingTodoCount(actor: Actor | null): Promise<number> {
  if (!actor) return 0;
  return db().todo.count({ where: { userId: actor.id, state: "pending", issue: readable(actor) } });
}

/** Marks one of the actor's To-Dos done (404 for anyone else's). */
export async function markTodoDone(actor: Actor | null, id: number): Promise<{ id: number; state: "done" }> {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  const { count } = await db().todo.updateMany({ where: { id, userId: actor.id, issue: readable(actor) }, data: { state: "done" } });
  if (count === 0) throw notFound("To-Do");
  return { id, state: "done" };
}

export async function markAllTodosDone(actor: Actor | null): Promise<{ marked: number }> {
  if (!actor) throw new AppError("unauthorized", "Sign in to continue.");
  // Only what the list shows: a To-Do on an issue the member may no longer read stays as it was.
  const { count } = await db().todo.updateMany({ where: { userId: actor.id, state: "pending", issue: readable(actor) }, data: { state: "done" } });
  return { marked: count };
}
