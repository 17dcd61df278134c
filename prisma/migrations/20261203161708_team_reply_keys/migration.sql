-- Team notifications carry a per-recipient reply key: the member it belongs to (reply by email).
-- AlterTable
ALTER TABLE "sent_notifications" ADD COLUMN     "user_id" TEXT;

-- AddForeignKey
ALTER TABLE "sent_notifications" ADD CONSTRAINT "sent_notifications_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
