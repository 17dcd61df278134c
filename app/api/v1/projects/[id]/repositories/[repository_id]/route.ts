// DELETE /api/v1/projects/:id/repositories/:repository_id (Maintainer and up): unlinks a repository.
import { apiRoute } from "@/lib/api/handler";
import { projectPathFromApiId } from "@/lib/api/resources";
import { unlinkRepository } from "@/lib/data/code-repositories";
import { notFound } from "@/lib/errors";

export const dynamic = "force-dynamic";

type Params = { id: string; repository_id: string };

export const DELETE = apiRoute<Params>(
  async ({ actor, params }) => {
    if (!/^\d{1,9}$/.test(params.repository_id)) throw notFound("Repository");
    await unlinkRepository(actor, await projectPathFromApiId(params.id), Number(params.repository_id));
    return new Response(null, { status: 204 });
  },
  { write: true },
);
