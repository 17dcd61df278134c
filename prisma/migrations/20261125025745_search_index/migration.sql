-- Trigram indexes for the issue search (ILIKE '%…%' on title or description), so a search costs what it
-- finds rather than a scan of the project. Prisma (without its postgresqlExtensions preview) does not manage
-- extensions, so the extension is created here by hand; it is not in schema.prisma, and `npm run
-- db:migration` does not compare extensions, so later migrations never try to drop it.
-- Fallback: a database that does not offer pg_trgm (a PGlite opened without the extension, which the app's
-- own lib/db/client.ts always loads; a managed Postgres that lacks it) gets no index, and search scans.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX "issues_title_trgm_idx" ON "issues" USING GIN ("title" gin_trgm_ops);
    CREATE INDEX "issues_description_trgm_idx" ON "issues" USING GIN ("description" gin_trgm_ops);
  END IF;
END
$$;
