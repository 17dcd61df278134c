-- The lease of a stored mail: a processing holds it until then; past it (the process died, or a transient
-- failure asked to be retried then), the sweeper (lib/service-desk/recovery.ts) processes the mail again.
ALTER TABLE "inbound_emails" ADD COLUMN "locked_until" TIMESTAMP(3);
