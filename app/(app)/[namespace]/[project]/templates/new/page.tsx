// New description template (Developer and up; others get 404).
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Card, PageHeader } from "@/app/_components/ui";
import { projectFromParams, type ProjectParams } from "../../project-context";
import { TemplateForm } from "../template-form";

export const metadata: Metadata = { title: "New description template" };

export default async function NewTemplatePage({ params }: { params: Promise<ProjectParams> }) {
  const { project } = await projectFromParams(params);
  if (!project.permissions["issue_template:manage"]) notFound();
  return (
    <>
      <PageHeader title="New description template" />
      <Card className="p-6">
        <TemplateForm projectPath={project.fullPath} />
      </Card>
    </>
  );
}
