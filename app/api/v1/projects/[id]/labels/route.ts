// GET|POST /api/v4/projects/:id/labels — the project's labels (GitLab-shaped, paged; ?search=), and creating one
// (`name`, optional `color` #RRGGBB and `description`; Reporter and up, as in triage). A taken name is GitLab's 409.
import { NextResponse } from "next/server";
import { apiRoute } from "@/lib/api/handler";
import { pagedJson } from "@/lib/api/paging";
import { labelJson, projectPathFromApiId } from "@/lib/api/resources";
import { createLabel, listProjectLabels } from "@/lib/data/labels";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>(async ({ actor, params, url }) => {
  const labels = await listProjectLabels(actor, await projectPathFromApiId(params.id));
  const search = url.searchParams.get("search")?.toLowerCase();
  return pagedJson(url, (search ? labels.filter((l) => l.title.toLowerCase().includes(search)) : labels).map(labelJson));
});

export const POST = apiRoute<{ id: string }>(
  async ({ actor, params, body }) => {
    const input = await body();
    const text = (v: unknown) => (typeof v === "string" ? v : undefined);
    try {
      const label = await createLabel(actor, await projectPathFromApiId(params.id), {
        title: text(input.name) ?? "",
        color: text(input.color),
        description: text(input.description) ?? "",
      });
      return NextResponse.json(labelJson(label), { status: 201 });
    } catch (error) {
      if (error instanceof AppError && error.code === "conflict") return NextResponse.json({ message: "Label already exists" }, { status: 409 });
      if (error instanceof AppError && error.fieldErrors?.title) throw new AppError("bad_request", error.message, { name: error.fieldErrors.title });
      throw error;
    }
  },
  { write: true },
);
