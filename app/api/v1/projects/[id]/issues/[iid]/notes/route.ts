// GET|POST /api/v1/projects/:id/issues/:iid/notes — the same addNote as the web composer (same mail, same outbox).
import { apiRoute, json } from "@/lib/api/handler";
import { noteJson, parseIid, projectPathFromApiId } from "@/lib/api/resources";
import { getIssue } from "@/lib/data/issues";
import { addNote } from "@/lib/data/notes";
import { deliverSoon } from "@/lib/mail/deliver-soon";
import { notifySoon } from "@/lib/notifications/fan-out";

export const dynamic = "force-dynamic";

type Params = { id: string; iid: string };

export const GET = apiRoute<Params>(async ({ actor, params }) => {
  const iid = parseIid(params.iid);
  const issue = await getIssue(actor, await projectPathFromApiId(params.id), iid);
  return issue.notes.map((note) => noteJson(note, iid));
});

export const POST = apiRoute<Params>(
  async ({ actor, params, body }) => {
    const iid = parseIid(params.iid);
    const input = await body();
    const internal = input.internal === true || input.internal === "true";
    const note = await addNote(actor, await projectPathFromApiId(params.id), iid, { body: typeof input.body === "string" ? input.body : "", internal });
    deliverSoon(note.outboxIds);
    notifySoon(note.eventIds);
    return json(noteJson({ ...note, system: false, externalAuthor: null, author: actor }, iid), { status: 201 });
  },
  { write: true },
);
