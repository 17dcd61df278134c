// New project page.
import type { Metadata } from "next";
import { Card, PageHeader } from "@/app/_components/ui";
import { requireActor } from "@/lib/auth/page-access";
import { NewProjectForm } from "./new-project-form";

export const metadata: Metadata = { title: "New project" };

export default async function NewProjectPage() {
  const actor = await requireActor("/projects/new");
  return (
    <main className="mx-auto max-w-2xl px-4 py-8">
      <PageHeader title="New project" description="Issues and Service Desk mail live in a project. You become its Owner." />
      <Card className="p-6">
        <NewProjectForm defaultNamespace={actor.username.replace(/[^a-z0-9_.-]/g, "")} />
      </Card>
    </main>
  );
}
