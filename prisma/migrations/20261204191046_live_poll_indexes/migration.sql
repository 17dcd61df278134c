-- Issue 19, live pages: indexes for the polling fallback (issues changed since a moment, per project or anywhere).
-- CreateIndex
CREATE INDEX "issues_project_id_updated_at_idx" ON "issues"("project_id", "updated_at");

-- CreateIndex
CREATE INDEX "issues_updated_at_idx" ON "issues"("updated_at");
