// The demo data of the embedded database: an admin to sign in as and a project to look around in.
import type { PrismaClient } from "@/lib/generated/prisma/client";

export const DEMO_EMAIL = "demo@example.com";
export const DEMO_PROJECT = "demo/support";

/** Seeds once: does nothing if any (human) user exists. Returns whether it seeded. */
export async function seedDemo(prisma: PrismaClient): Promise<boolean> {
  if ((await prisma.user.count({ where: { isBot: false } })) > 0) return false;
  await prisma.$transaction(async (tx) => {
    const demo = await tx.user.create({
      data: { email: DEMO_EMAIL, username: "demo", name: "Demo Admin", isAdmin: true },
    });
    const project = await tx.project.create({
      data: {
        namespace: "demo",
        path: "support",
        fullPath: DEMO_PROJECT,
        name: "Support",
        description: "A demo project: mail to its Service Desk address becomes issues here.",
        lastIssueIid: 2,
        memberships: { create: { userId: demo.id, role: "OWNER" } },
        // On, so `npm run cli -- mail:send` works against the demo right away.
        serviceDesk: { create: { enabled: true } },
      },
    });
    await tx.issue.create({
      data: {
        projectId: project.id,
        iid: 1,
        authorId: demo.id,
        title: "Welcome to Service Desk",
        description:
          "This is the demo project. Try it out:\n\n- add a teammate on the **Members** page\n- open a new issue\n- comment here, then close this issue",
        notes: { create: { authorId: demo.id, body: "Comments appear in the thread like this one." } },
      },
    });
    await tx.issue.create({
      data: {
        projectId: project.id,
        iid: 2,
        authorId: demo.id,
        confidential: true,
        title: "Confidential: only Reporters and up can see this",
        description: "Confidential issues are hidden from Guests and from people outside the project.",
      },
    });
  });
  return true;
}
