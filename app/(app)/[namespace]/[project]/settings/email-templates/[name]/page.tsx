// Editor of one Service Desk email template (Maintainer and up; 404 otherwise): the text, the placeholders it
// supports, and a live preview rendered on the server exactly as the mail will be.
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Badge, PageHeader } from "@/app/_components/ui";
import { orNotFound } from "@/lib/auth/page-access";
import { EMAIL_TEMPLATE_INFO, getEmailTemplate, previewEmailTemplate } from "@/lib/data/email-templates";
import { isTemplateName } from "@/lib/service-desk/placeholders";
import { projectFromParams, type ProjectParams } from "../../../project-context";
import { TemplateEditor } from "./template-editor";

type Params = Promise<ProjectParams & { name: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { name } = await params;
  return { title: isTemplateName(name) ? `${EMAIL_TEMPLATE_INFO[name].title} email template` : "Email template" };
}

export default async function EmailTemplatePage({ params }: { params: Params }) {
  const { name } = await params;
  const { actor, project } = await projectFromParams(params);
  if (!project.permissions["project:settings"] || !isTemplateName(name)) notFound();
  const template = await orNotFound(getEmailTemplate(actor, project.fullPath, name));
  const preview = await orNotFound(previewEmailTemplate(actor, project.fullPath, name, template.content));
  const info = EMAIL_TEMPLATE_INFO[name];

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-2 text-sm">
        <Link href={`/${project.fullPath}/settings`} className="text-indigo-700 hover:underline">
          Settings
        </Link>
        <span className="text-slate-400"> / Email templates</span>
      </nav>
      <PageHeader
        title={
          <span className="inline-flex flex-wrap items-center gap-2">
            {info.title} email <code className="text-sm font-normal text-slate-500">{name}</code>
            {template.isCustom ? <Badge tone="violet">Custom</Badge> : <Badge>Default</Badge>}
          </span>
        }
        description={`Sent ${info.sentWhen}. Markdown only: HTML, imports and {expressions} are shown as text.`}
      />
      <TemplateEditor
        projectPath={project.fullPath}
        name={name}
        content={template.content}
        defaultContent={template.defaultContent}
        isCustom={template.isCustom}
        placeholders={template.placeholders}
        initialPreview={{ html: preview.html, text: preview.text }}
      />
    </>
  );
}
