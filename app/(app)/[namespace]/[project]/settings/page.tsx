// Project settings (Maintainer and up; others get 404).
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Card, PageHeader } from "@/app/_components/ui";
import { projectFromParams, type ProjectParams } from "../project-context";

export const metadata: Metadata = { title: "Settings" };

export default async function SettingsPage({ params }: { params: Promise<ProjectParams> }) {
  const { project } = await projectFromParams(params);
  if (!project.permissions["project:settings"]) notFound();
  return (
    <>
      <PageHeader title="Settings" description="General information about this project." />
      <Card className="p-6">
        <dl className="grid gap-4 text-sm sm:grid-cols-[12rem_1fr]">
          <dt className="font-medium text-slate-700">Name</dt>
          <dd>{project.name}</dd>
          <dt className="font-medium text-slate-700">Path</dt>
          <dd>
            <code className="rounded bg-slate-100 px-1">{project.fullPath}</code>
          </dd>
          <dt className="font-medium text-slate-700">Project ID</dt>
          <dd>{project.id}</dd>
          <dt className="font-medium text-slate-700">Description</dt>
          <dd className="whitespace-pre-wrap">{project.description || <span className="text-slate-400">None</span>}</dd>
        </dl>
      </Card>
    </>
  );
}
