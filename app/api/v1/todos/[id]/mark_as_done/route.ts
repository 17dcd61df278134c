// POST /api/v1/todos/:id/mark_as_done — marks one of the user's To-Dos done and answers it (404 for others').
import { apiRoute } from "@/lib/api/handler";
import { todoJson } from "@/lib/api/todo-json";
import { getOwnTodo, markTodoDone } from "@/lib/data/todos";
import { notFound } from "@/lib/errors";

export const dynamic = "force-dynamic";

export const POST = apiRoute<{ id: string }>(
  async ({ actor, params }) => {
    if (!/^\d{1,9}$/.test(params.id)) throw notFound("To-Do");
    const id = Number(params.id);
    // Marks only a To-Do the list would show (its own, on an issue still readable), else 404.
    await markTodoDone(actor, id);
    return todoJson(await getOwnTodo(actor, id));
  },
  { write: true },
);
