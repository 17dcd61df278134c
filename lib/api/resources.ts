// REST API resources: resolving `:id` (numeric or URL-encoded full path) and the GitLab-shaped JSON of each
// entity (snake_case, DESIGN.md "REST API"). Only the fields listed there and a few harmless extras.
import { env } from "@/lib/env";
import { db } from "@/lib/db/client";
import { notFound } from "@/lib/errors";

/** The project's full path for an API `:id`; unknown ids are 404 like projects the user may not see. */
export async function projectPathFromApiId(id: string): Promise<string> {
  let value = id;
  try {
    value = decodeURIComponent(id);
  } catch {
    throw notFound("Project");
  }
  if (/^\d+$/.test(value)) {
    const project = await db().project.findUnique({ where: { id: Number(value) }, select: { fullPath: true } });
    if (!project) throw notFound("Project");
    return project.fullPath;
  }
  return value.toLowerCase();
}

export function parseIid(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw notFound("Issue");
  return Number(value);
}

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

export interface ApiUser {
  id: string;
  username: string;
  name: string | null;
}

export const userJson = (user: ApiUser | null) =>
  user ? { id: user.id, username: user.username, name: user.name ?? user.username, state: "active" } : null;

export function projectJson(project: { id: number; fullPath: string; name: string; description: string; namespace?: string; path?: string }, serviceDeskEnabled: boolean) {
  const [namespace, path] = project.fullPath.split("/");
  return {
    id: project.id,
    name: project.name,
    description: project.description,
    path,
    path_with_namespace: project.fullPath,
    namespace: { path: namespace, full_path: namespace },
    web_url: `${env().APP_URL}/${project.fullPath}`,
    service_desk_enabled: serviceDeskEnabled,
  };
}

export interface ApiNote {
  id: number;
  body: string;
  internal: boolean;
  system: boolean;
  externalAuthor: string | null;
  createdAt: Date;
  updatedAt?: Date;
  author: ApiUser | null;
}

export function noteJson(note: ApiNote, issueIid: number) {
  return {
    id: note.id,
    body: note.body,
    internal: note.internal,
    confidential: note.internal,
    system: note.system,
    author: userJson(note.author),
    external_author: note.externalAuthor,
    noteable_type: "Issue",
    noteable_iid: issueIid,
    created_at: iso(note.createdAt),
    updated_at: iso(note.updatedAt ?? note.createdAt),
  };
}
