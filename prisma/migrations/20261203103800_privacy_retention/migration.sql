-- AlterTable
ALTER TABLE "outbound_emails" ADD COLUMN     "purged_at" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "inbound_emails" ADD COLUMN     "headers_summary" JSONB,
ADD COLUMN     "purged_at" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "customer_erasures" (
    "id" SERIAL NOT NULL,
    "pseudonym" TEXT NOT NULL,
    "actor_id" TEXT NOT NULL,
    "actor_name" TEXT NOT NULL,
    "counts" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customer_erasures_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "customer_erasures_pseudonym_idx" ON "customer_erasures"("pseudonym");
