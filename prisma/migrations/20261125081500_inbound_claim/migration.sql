-- When a processing of a stored mail claimed it (its identity, its attempt): a second processing of the same
-- mail (a replay clicked twice, or while the webhook still works on it) is refused until the first records
-- its outcome (processed_at after claimed_at) or has been silent for 5 minutes (a crashed process).
ALTER TABLE "inbound_emails" ADD COLUMN "claimed_at" TIMESTAMP(3);
