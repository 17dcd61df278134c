// New issue page (Reporter and up; others get 404).
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Card, PageHeader } from "@/app/_components/ui";
import { projectFromParams, type ProjectParams } from "../../project-context";
import { NewIssueForm } from "./new-issue-form";

export const metadata: Metadata = { title: "New issue" };

export default async function NewIssuePage({ params }: { params: Promise<ProjectParams> }) {
  const { project } = await projectFromParams(params);
  if (!project.permissions["issue:create"]) notFound();
  return (
    <>
      <PageHeader title="New issue" />
      <Card className="p-6">
        <NewIssueForm projectPath={project.fullPath} />
      </Card>
    </>
  );
}
