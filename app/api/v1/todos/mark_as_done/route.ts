// POST /api/v1/todos/mark_as_done — marks all of the user's pending To-Dos done (204, as GitLab).
import { apiRoute } from "@/lib/api/handler";
import { markAllTodosDone } from "@/lib/data/todos";

export const dynamic = "force-dynamic";

export const POST = apiRoute(
  async ({ actor }) => {
    await markAllTodosDone(actor);
    return new Response(null, { status: 204 });
  },
  { write: true },
);
