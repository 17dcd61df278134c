-- CreateTable
CREATE TABLE "sendgrid_events" (
    "id" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "outbound_email_id" TEXT,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sendgrid_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sendgrid_events_outbound_email_id_idx" ON "sendgrid_events"("outbound_email_id");
