// A project's home is its issue list.
import { redirect } from "next/navigation";
import { projectFromParams, type ProjectParams } from "./project-context";

export default async function ProjectPage({ params }: { params: Promise<ProjectParams> }) {
  const { project } = await projectFromParams(params);
  redirect(`/${project.fullPath}/issues`);
}
