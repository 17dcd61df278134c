-- Issue 19, live pages: issue_presence (who has an issue open or is replying), and triggers that announce every
-- change the live pages show on channel service_desk_live (NOTIFY is sent at commit, to every instance listening).
-- CreateTable
CREATE TABLE "issue_presence" (
    "issue_id" INTEGER NOT NULL,
    "user_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "issue_presence_pkey" PRIMARY KEY ("issue_id","user_id")
);

-- CreateIndex
CREATE INDEX "issue_presence_expires_at_idx" ON "issue_presence"("expires_at");

-- AddForeignKey
ALTER TABLE "issue_presence" ADD CONSTRAINT "issue_presence_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_presence" ADD CONSTRAINT "issue_presence_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- An issue or its thread changed (new issue, note, state, assignees' touch of updated_at). The payload says
-- which issue and whether it is confidential; the live stream decides per viewer whether to pass it on.
CREATE FUNCTION live_issue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('service_desk_live', json_build_object('t', 'issue', 'p', NEW.project_id, 'i', NEW.id, 'n', NEW.iid, 'c', NEW.confidential)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER issues_live AFTER INSERT OR UPDATE ON "issues" FOR EACH ROW EXECUTE FUNCTION live_issue_changed();

CREATE FUNCTION live_note_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('service_desk_live', json_build_object('t', 'issue', 'p', i.project_id, 'i', i.id, 'n', i.iid, 'c', i.confidential)::text)
  FROM "issues" i WHERE i.id = NEW.issue_id;
  RETURN NULL;
END $$;
CREATE TRIGGER notes_live AFTER INSERT OR UPDATE ON "notes" FOR EACH ROW EXECUTE FUNCTION live_note_changed();

-- A member's To-Do list changed (the top bar's count).
CREATE FUNCTION live_todo_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('service_desk_live', json_build_object('t', 'todos', 'u', NEW.user_id)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER todos_live AFTER INSERT OR UPDATE ON "todos" FOR EACH ROW EXECUTE FUNCTION live_todo_changed();

-- Someone opened an issue, started or stopped replying, or left.
CREATE FUNCTION live_presence_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('service_desk_live', json_build_object(
    't', 'presence', 'p', i.project_id, 'i', i.id, 'n', i.iid, 'c', i.confidential,
    'u', u.id, 'name', coalesce(nullif(btrim(u.name), ''), u.username), 's', NEW.state,
    'x', to_char(NEW.expires_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text)
  FROM "issues" i, "users" u WHERE i.id = NEW.issue_id AND u.id = NEW.user_id;
  RETURN NULL;
END $$;
CREATE TRIGGER issue_presence_live AFTER INSERT OR UPDATE ON "issue_presence" FOR EACH ROW EXECUTE FUNCTION live_presence_changed();
