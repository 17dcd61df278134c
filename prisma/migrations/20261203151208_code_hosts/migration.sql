-- Code hosts (lib/code-hosts): linked GitHub/GitLab repositories, their stored webhook deliveries, the changes
-- linked to issues, and an optional per-project reference key.
-- AlterTable
ALTER TABLE "projects" ADD COLUMN     "issue_reference_key" TEXT;

-- CreateTable
CREATE TABLE "code_repositories" (
    "id" SERIAL NOT NULL,
    "project_id" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "full_path" TEXT NOT NULL,
    "base_url" TEXT NOT NULL,
    "secret_sealed" TEXT NOT NULL,
    "default_branch" TEXT,
    "last_delivery_at" TIMESTAMP(3),
    "last_delivery_status" TEXT,
    "last_delivery_summary" TEXT,
    "created_by_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "code_repositories_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "code_host_deliveries" (
    "id" TEXT NOT NULL,
    "repository_id" INTEGER NOT NULL,
    "event" TEXT NOT NULL,
    "delivery_key" TEXT NOT NULL,
    "sender" TEXT,
    "summary" TEXT,
    "payload" BYTEA NOT NULL,
    "size" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'received',
    "outcome" TEXT,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TIMESTAMP(3),
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMP(3),

    CONSTRAINT "code_host_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "linked_changes" (
    "id" SERIAL NOT NULL,
    "issue_id" INTEGER NOT NULL,
    "repository_id" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "closing" BOOLEAN NOT NULL DEFAULT false,
    "closed_issue" BOOLEAN NOT NULL DEFAULT false,
    "source" TEXT NOT NULL,
    "linked_by_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "linked_changes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "code_repositories_project_id_provider_base_url_full_path_key" ON "code_repositories"("project_id", "provider", "base_url", "full_path");

-- CreateIndex
CREATE INDEX "code_host_deliveries_status_locked_until_idx" ON "code_host_deliveries"("status", "locked_until");

-- CreateIndex
CREATE INDEX "code_host_deliveries_repository_id_received_at_idx" ON "code_host_deliveries"("repository_id", "received_at");

-- CreateIndex
CREATE UNIQUE INDEX "code_host_deliveries_repository_id_delivery_key_key" ON "code_host_deliveries"("repository_id", "delivery_key");

-- CreateIndex
CREATE INDEX "linked_changes_repository_id_idx" ON "linked_changes"("repository_id");

-- CreateIndex
CREATE UNIQUE INDEX "linked_changes_issue_id_repository_id_kind_external_id_key" ON "linked_changes"("issue_id", "repository_id", "kind", "external_id");

-- AddForeignKey
ALTER TABLE "code_repositories" ADD CONSTRAINT "code_repositories_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "code_repositories" ADD CONSTRAINT "code_repositories_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "code_host_deliveries" ADD CONSTRAINT "code_host_deliveries_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "code_repositories"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "linked_changes" ADD CONSTRAINT "linked_changes_issue_id_fkey" FOREIGN KEY ("issue_id") REFERENCES "issues"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "linked_changes" ADD CONSTRAINT "linked_changes_repository_id_fkey" FOREIGN KEY ("repository_id") REFERENCES "code_repositories"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "linked_changes" ADD CONSTRAINT "linked_changes_linked_by_id_fkey" FOREIGN KEY ("linked_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- The system actors that close issues when a linked change is merged ("GitHub", "GitLab"); bots never sign in.
-- A username already taken leaves the row out; lib/code-hosts/actors.ts then creates the actor with another.
INSERT INTO "users" ("id", "email", "username", "name", "is_bot", "created_at", "updated_at")
VALUES ('code-host-github', 'github-bot@service-desk.invalid', 'github-bot', 'GitHub', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
       ('code-host-gitlab', 'gitlab-bot@service-desk.invalid', 'gitlab-bot', 'GitLab', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)
ON CONFLICT DO NOTHING;
