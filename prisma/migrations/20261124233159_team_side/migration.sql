-- AlterTable
ALTER TABLE "issues" ADD COLUMN     "awaiting_reply" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "labels" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "color" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "labels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "issue_labels" (
    "issue_id" INTEGER NOT NULL,
    "label_id" INTEGER NOT NULL,

    CONSTRAINT "issue_labels_pkey" PRIMARY KEY ("issue_id","label_id")
);

-- CreateTable
CREATE TABLE "issue_assignees" (
    "issue_id" INTEGER NOT NULL,
    "user_id" TEXT NOT NULL,

    CONSTRAINT "issue_assignees_pkey" PRIMARY KEY ("issue_id","user_id")
);

-- CreateTable
CREATE TABLE "service_desk_email_templates" (
    "project_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "updated_by_id" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "service_desk_email_templates_pkey" PRIMARY KEY ("project_id","name")
);

-- CreateTable
CREATE TABLE "service_desk_setting_events" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "actor_id" TEXT,
    "changes" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "service_desk_setting_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "labels_project_id_title_key" ON "labels"("project_id", "title");

-- CreateIndex
CREATE INDEX "issue_labels_label_id_idx" ON "issue_labels"("label_id");

-- CreateIndex
CREATE INDEX "issue_assignees_user_id_idx" ON "issue_assignees"("user_id");

-- CreateIndex
CREATE INDEX "service_desk_setting_events_project_id_created_at_idx" ON "service_desk_setting_events"("project_id", "created_at");

-- CreateIndex
CREATE INDEX "issues_project_id_created_at_idx" ON "issues"("project_id", "created_at");

-- CreateIndex
CREATE INDEX "issues_project_id_author_id_state_created_at_idx" ON "issues"("project_id", "author_id", "state", "created_at");

-- AddForeignKey
ALTER TABLE "labels" ADD CONSTRAINT "labels_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_labels" ADD CONSTRAINT "issue_labels_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_labels" ADD CONSTRAINT "issue_labels_label_id_fkey" FOREIGN KEY ("label_id") REFERENCES "labels"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_assignees" ADD CONSTRAINT "issue_assignees_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_assignees" ADD CONSTRAINT "issue_assignees_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_desk_email_templates" ADD CONSTRAINT "service_desk_email_templates_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_desk_email_templates" ADD CONSTRAINT "service_desk_email_templates_updated_by_id_fkey" FOREIGN KEY ("updated_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_desk_setting_events" ADD CONSTRAINT "service_desk_setting_events_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_desk_setting_events" ADD CONSTRAINT "service_desk_setting_events_actor_id_fkey" FOREIGN KEY ("actor_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Backfill: a Service Desk issue awaits a team reply when no public team comment came after the customer's
-- last word (their request, or their latest emailed reply).
UPDATE "issues" i SET "awaiting_reply" = true
WHERE i."author_id" = 'support-bot'
  AND NOT EXISTS (
    SELECT 1 FROM "notes" n
    WHERE n."issue_id" = i."id" AND n."internal" = false AND n."system" = false AND n."external_author" IS NULL
      AND n."created_at" >= COALESCE(
        (SELECT max(c."created_at") FROM "notes" c WHERE c."issue_id" = i."id" AND c."external_author" IS NOT NULL),
        i."created_at")
  );
