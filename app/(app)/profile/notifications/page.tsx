// Profile → Notifications: the default level for team notification mail, and what that mail is.
import type { Metadata } from "next";
import { Card, PageHeader } from "@/app/_components/ui";
import { requireActor } from "@/lib/auth/page-access";
import { getGlobalNotificationLevel } from "@/lib/data/notification-settings";
import { LevelForm } from "./level-form";

export const metadata: Metadata = { title: "Notifications" };

export default async function NotificationsPage() {
  const actor = await requireActor("/profile/notifications");
  const level = await getGlobalNotificationLevel(actor);
  return (
    <main className="mx-auto max-w-3xl px-4 py-8">
      <PageHeader
        title="Notifications"
        description={
          <>
            Notification mail is sent for new requests, customer replies, comments, assignments and @mentions in the projects you are a member of,
            as your level says. Reply to one from your own address and your reply becomes your comment on the issue (public, so a
            Service Desk customer gets it; start it with <code>/internal</code> for an internal note). Each mail has a link to stop mail about its issue. A project&apos;s own level (in its sidebar) overrides this default, and
            To-Dos appear whatever the level.
          </>
        }
      />
      <Card className="p-4">
        <LevelForm level={level} />
      </Card>
    </main>
  );
}
