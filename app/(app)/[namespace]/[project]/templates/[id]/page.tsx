// Edit or delete one description template (Developer and up; others get 404).
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Card, PageHeader } from "@/app/_components/ui";
import { orNotFound } from "@/lib/auth/page-access";
import { getIssueTemplate } from "@/lib/data/issue-templates";
import { projectFromParams, type ProjectParams } from "../../project-context";
import { DeleteTemplateButton } from "../delete-template-button";
import { TemplateForm } from "../template-form";

export const metadata: Metadata = { title: "Edit description template" };

export default async function EditTemplatePage({ params }: { params: Promise<ProjectParams & { id: string }> }) {
  const { id } = await params;
  const { actor, project } = await projectFromParams(params);
  if (!project.permissions["issue_template:manage"] || !/^\d{1,9}$/.test(id)) notFound();
  const template = await orNotFound(getIssueTemplate(actor, project.fullPath, Number(id)));
  return (
    <>
      <PageHeader
        title={`Edit “${template.name}”`}
        description={template.usedByServiceDesk ? "Service Desk appends this template to every new issue." : undefined}
        actions={
          <DeleteTemplateButton
            projectPath={project.fullPath}
            id={template.id}
            name={template.name}
            usedByServiceDesk={template.usedByServiceDesk}
            redirectTo={`/${project.fullPath}/templates`}
          />
        }
      />
      <Card className="p-6">
        <TemplateForm projectPath={project.fullPath} template={{ id: template.id, name: template.name, content: template.content }} />
      </Card>
    </>
  );
}
