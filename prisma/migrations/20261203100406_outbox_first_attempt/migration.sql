-- When a sender first tried an outgoing mail: retries stop a fixed time after it (lib/mail/outbox.ts), not after
-- a number of attempts. Mail already being retried counts from when it was queued (it was tried right after).
ALTER TABLE "outbound_emails" ADD COLUMN "first_attempt_at" TIMESTAMP(3);
UPDATE "outbound_emails" SET "first_attempt_at" = "created_at" WHERE "attempts" > 0;
