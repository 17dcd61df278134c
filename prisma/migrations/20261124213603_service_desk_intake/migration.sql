-- AlterTable
ALTER TABLE "issues" ADD COLUMN     "external_message_id" TEXT,
ADD COLUMN     "thread_message_id" TEXT;

-- AlterTable
ALTER TABLE "outbound_emails" ADD COLUMN     "issue_id" INTEGER,
ADD COLUMN     "locked_until" TIMESTAMP(3),
ADD COLUMN     "next_attempt_at" TIMESTAMP(3),
ADD COLUMN     "sensitive" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "service_desk_settings" (
    "project_id" INTEGER NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "project_key" TEXT,
    "outgoing_name" TEXT,
    "issue_template_key" TEXT,
    "tickets_confidential_by_default" BOOLEAN NOT NULL DEFAULT true,
    "reopen_issue_on_external_participant_note" BOOLEAN NOT NULL DEFAULT false,
    "add_external_participants_from_cc" BOOLEAN NOT NULL DEFAULT false,
    "send_thank_you_email" BOOLEAN NOT NULL DEFAULT true,
    "email_on_close" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "service_desk_settings_pkey" PRIMARY KEY ("project_id")
);

-- CreateTable
CREATE TABLE "issue_templates" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "issue_templates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "issue_email_participants" (
    "id" SERIAL NOT NULL,
    "issue_id" INTEGER NOT NULL,
    "email" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'subscribed',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "issue_email_participants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sent_notifications" (
    "id" SERIAL NOT NULL,
    "reply_key" TEXT NOT NULL,
    "project_id" INTEGER NOT NULL,
    "issue_id" INTEGER NOT NULL,
    "recipient" TEXT NOT NULL,
    "message_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sent_notifications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "inbound_emails" (
    "id" TEXT NOT NULL,
    "source" TEXT NOT NULL DEFAULT 'sendgrid',
    "payload" BYTEA NOT NULL,
    "payload_content_type" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'received',
    "reason" TEXT,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "message_id" TEXT,
    "from_address" TEXT,
    "subject" TEXT,
    "project_id" INTEGER,
    "issue_id" INTEGER,
    "note_id" INTEGER,
    "dedupe_key" TEXT,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMP(3),

    CONSTRAINT "inbound_emails_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "attachments" (
    "id" TEXT NOT NULL,
    "issue_id" INTEGER NOT NULL,
    "note_id" INTEGER,
    "inbound_email_id" TEXT,
    "filename" TEXT NOT NULL,
    "content_type" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "attachments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rate_limit_counters" (
    "key" TEXT NOT NULL,
    "window_start" TIMESTAMP(3) NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "rate_limit_counters_pkey" PRIMARY KEY ("key","window_start")
);

-- CreateIndex
CREATE INDEX "service_desk_settings_project_key_idx" ON "service_desk_settings"("project_key");

-- CreateIndex
CREATE UNIQUE INDEX "issue_templates_project_id_name_key" ON "issue_templates"("project_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "issue_email_participants_issue_id_email_key" ON "issue_email_participants"("issue_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "sent_notifications_reply_key_key" ON "sent_notifications"("reply_key");

-- CreateIndex
CREATE INDEX "sent_notifications_issue_id_idx" ON "sent_notifications"("issue_id");

-- CreateIndex
CREATE INDEX "sent_notifications_message_id_idx" ON "sent_notifications"("message_id");

-- CreateIndex
CREATE UNIQUE INDEX "inbound_emails_dedupe_key_key" ON "inbound_emails"("dedupe_key");

-- CreateIndex
CREATE INDEX "inbound_emails_status_received_at_idx" ON "inbound_emails"("status", "received_at");

-- CreateIndex
CREATE INDEX "inbound_emails_message_id_idx" ON "inbound_emails"("message_id");

-- CreateIndex
CREATE INDEX "attachments_issue_id_idx" ON "attachments"("issue_id");

-- CreateIndex
CREATE INDEX "outbound_emails_status_next_attempt_at_idx" ON "outbound_emails"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "outbound_emails_issue_id_idx" ON "outbound_emails"("issue_id");

-- AddForeignKey
ALTER TABLE "outbound_emails" ADD CONSTRAINT "outbound_emails_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "service_desk_settings" ADD CONSTRAINT "service_desk_settings_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_templates" ADD CONSTRAINT "issue_templates_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "issue_email_participants" ADD CONSTRAINT "issue_email_participants_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sent_notifications" ADD CONSTRAINT "sent_notifications_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sent_notifications" ADD CONSTRAINT "sent_notifications_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_emails" ADD CONSTRAINT "inbound_emails_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_emails" ADD CONSTRAINT "inbound_emails_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "inbound_emails" ADD CONSTRAINT "inbound_emails_note_id_fkey" FOREIGN KEY ("note_id") REFERENCES "notes"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_note_id_fkey" FOREIGN KEY ("note_id") REFERENCES "notes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attachments" ADD CONSTRAINT "attachments_inbound_email_id_fkey" FOREIGN KEY ("inbound_email_id") REFERENCES "inbound_emails"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- The Support Bot: author of every Service Desk issue and customer reply. A bot never signs in.
INSERT INTO "users" ("id", "email", "username", "name", "is_bot", "created_at", "updated_at")
VALUES ('support-bot', 'support-bot@service-desk.invalid', 'support-bot', 'Support Bot', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)
ON CONFLICT DO NOTHING;
