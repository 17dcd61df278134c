// Service Desk tracker entry point; until the project turns Service Desk on, it explains what it is.
import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@/app/_components/ui";
import { projectFromParams, type ProjectParams } from "../project-context";

export const metadata: Metadata = { title: "Service Desk" };

export default async function ServiceDeskPage({ params }: { params: Promise<ProjectParams> }) {
  const { project } = await projectFromParams(params);
  return (
    <>
      <PageHeader title="Service Desk" />
      <EmptyState title="Support by email, right in your issue tracker">
        <p>
          With Service Desk on, this project gets its own email address. Anyone can write to it: each mail becomes a
          confidential issue here, your public comments are emailed back to the customer, and their replies land in
          the same thread.
        </p>
        <p className="mt-3">
          {project.permissions["project:settings"]
            ? "Service Desk is not turned on for this project yet."
            : "Ask a Maintainer of this project to turn on Service Desk."}
        </p>
      </EmptyState>
    </>
  );
}
