// GET|POST /api/v1/projects/:id/repositories (Maintainer and up): the linked GitHub/GitLab repositories; the
// webhook secret is in the POST answer only.
import { apiRoute, json } from "@/lib/api/handler";
import { projectPathFromApiId, repositoryJson } from "@/lib/api/resources";
import { linkRepository, listRepositories } from "@/lib/data/code-repositories";

export const dynamic = "force-dynamic";

type Params = { id: string };

export const GET = apiRoute<Params>(async ({ actor, params }) => (await listRepositories(actor, await projectPathFromApiId(params.id))).map((r) => repositoryJson(r)));

export const POST = apiRoute<Params>(
  async ({ actor, params, body }) => {
    const input = await body();
    const linked = await linkRepository(actor, await projectPathFromApiId(params.id), {
      provider: input.provider as "github" | "gitlab",
      fullPath: typeof input.full_path === "string" ? input.full_path : "",
      baseUrl: typeof input.base_url === "string" ? input.base_url : undefined,
    });
    return json(repositoryJson(linked, linked.secret), { status: 201 });
  },
  { write: true },
);
