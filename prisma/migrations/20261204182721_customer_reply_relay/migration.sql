-- Issue 19: a customer's reply is relayed to the other email participants by the fan-out, once per event (relayed_at).
-- AlterTable
ALTER TABLE "issue_events" ADD COLUMN     "relayed_at" TIMESTAMP(3);
