-- Team notifications (lib/notifications): notification levels per user and project, issue subscriptions, the
-- events fanned out into team mails and To-Dos, and the To-Dos.
-- AlterTable
ALTER TABLE "users" ADD COLUMN     "notification_level" TEXT NOT NULL DEFAULT 'participating';

-- CreateTable
CREATE TABLE "project_notification_settings" (
    "user_id" TEXT NOT NULL,
    "project_id" INTEGER NOT NULL,
    "level" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "project_notification_settings_pkey" PRIMARY KEY ("user_id","project_id")
);

-- CreateTable
CREATE TABLE "issue_subscriptions" (
    "issue_id" INTEGER NOT NULL,
    "user_id" TEXT NOT NULL,
    "subscribed" BOOLEAN NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "issue_subscriptions_pkey" PRIMARY KEY ("issue_id","user_id")
);

-- CreateTable
CREATE TABLE "issue_events" (
    "id" TEXT NOT NULL,
    "issue_id" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "note_id" INTEGER,
    "actor_id" TEXT,
    "user_ids" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TIMESTAMP(3),
    "error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMP(3),

    CONSTRAINT "issue_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "todos" (
    "id" SERIAL NOT NULL,
    "user_id" TEXT NOT NULL,
    "project_id" INTEGER NOT NULL,
    "issue_id" INTEGER NOT NULL,
    "author_id" TEXT,
    "action" TEXT NOT NULL,
    "note_id" INTEGER,
    "event_id" TEXT NOT NULL,
    "body" TEXT NOT NULL DEFAULT '',
    "state" TEXT NOT NULL DEFAULT 'pending',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "todos_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "project_notification_settings_project_id_level_idx" ON "project_notification_settings"("project_id", "level");

-- CreateIndex
CREATE INDEX "issue_subscriptions_user_id_idx" ON "issue_subscriptions"("user_id");

-- CreateIndex
CREATE INDEX "issue_events_status_created_at_idx" ON "issue_events"("status", "created_at");

-- CreateIndex
CREATE INDEX "issue_events_issue_id_idx" ON "issue_events"("issue_id");

-- CreateIndex
CREATE INDEX "todos_user_id_state_created_at_idx" ON "todos"("user_id", "state", "created_at");

-- CreateIndex
CREATE INDEX "todos_issue_id_user_id_state_idx" ON "todos"("issue_id", "user_id", "state");

-- CreateIndex
CREATE UNIQUE INDEX "todos_event_id_user_id_action_key" ON "todos"("event_id", "user_id", "action");

-- AddForeignKey
ALTER TABLE "project_notification_settings" ADD CONSTRAINT "project_notification_settings_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "project_notification_settings" ADD CONSTRAINT "project_notification_settings_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_subscriptions" ADD CONSTRAINT "issue_subscriptions_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_subscriptions" ADD CONSTRAINT "issue_subscriptions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_events" ADD CONSTRAINT "issue_events_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "todos" ADD CONSTRAINT "todos_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "todos" ADD CONSTRAINT "todos_author_id_fkey" FOREIGN KEY ("author_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "todos" ADD CONSTRAINT "todos_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "todos" ADD CONSTRAINT "todos_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;
